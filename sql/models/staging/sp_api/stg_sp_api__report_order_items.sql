with

source as (

    select * from {{ loaded_source('sp_api_reports', 'report_order_items') }}

),

renamed as (

    select
        -- ids
        seller_id,
        amazon_order_id as order_id,
        sku as seller_sku,
        asin,
        key_ordinal as sku_line,
        report_id,

        -- strings
        product_name as title,
        order_status,
        item_status,
        fulfillment_channel,
        sales_channel as marketplace_name,
        ship_service_level,
        currency as currency_code,
        ship_city,
        ship_country,

        -- numerics
        {{ dbt.safe_cast('quantity', 'integer') }} as quantity_ordered,
        {{ money_to_decimal('item_price') }} as item_subtotal,
        {{ money_to_decimal('item_tax') }} as item_tax,
        {{ money_to_decimal('shipping_price') }} as shipping_price,

        -- timestamps
        {{ utc_timestamp('purchase_date') }} as purchased_at,
        {{ utc_timestamp('last_updated_date') }} as last_updated_at,
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
