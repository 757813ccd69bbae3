with

source as (

    select * from {{ loaded_source('aim', 'order_items', [
        'seller_id', 'order_id', 'order_item_id', 'marketplace_id', 'sku', 'item_name',
        'ship_country', 'quantity_purchased', 'price', 'shipping_fee', 'total_price',
        'purchase_date', 'payments_date',
    ]) }}

),

renamed as (

    select
        -- ids
        seller_id,
        order_id,
        order_item_id,
        marketplace_id,
        sku as seller_sku,

        -- strings
        item_name as title,
        ship_country,

        -- numerics
        cast(quantity_purchased as integer) as quantity_purchased,
        {{ money_to_decimal('price') }} as unit_price,
        {{ money_to_decimal('shipping_fee') }} as shipping_fee,
        {{ money_to_decimal('total_price') }} as total_price,

        -- timestamps
        {{ utc_timestamp('purchase_date') }} as purchased_at,
        {{ utc_timestamp('payments_date') }} as paid_at,
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
