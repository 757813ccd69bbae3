with

source as (

    select * from {{ loaded_source('sp_api', 'order_items') }}

),

renamed as (

    select
        -- ids
        seller_id,
        order_id,
        order_item_id,
        marketplace_id,
        product__asin as asin,
        product__seller_sku as seller_sku,

        -- strings
        product__title as title,
        product__condition__condition_type as item_condition,
        product__price__unit_price__currency_code as currency_code,

        -- numerics
        quantity_ordered,
        coalesce(fulfillment__quantity_fulfilled, 0) as quantity_shipped,
        {{ money_to_decimal('product__price__unit_price__amount') }} as unit_price,
        {{ money_to_decimal('product__price__unit_price__amount') }} * quantity_ordered
            as item_subtotal,
        {{ money_to_decimal('proceeds__proceeds_total__amount') }} as proceeds_total,

        -- timestamps
        {{ utc_timestamp('order_last_updated_time') }} as order_last_updated_at,
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
