with

source as (

    select * from {{ loaded_source('mws', 'order_items', [
        'seller_id', 'amazon_order_id', 'order_item_id', 'asin', 'seller_sku', 'title',
        'item_price__currency_code', 'item_price__amount', 'quantity_ordered', 'quantity_shipped',
    ]) }}

),

renamed as (

    select
        -- ids
        seller_id,
        amazon_order_id as order_id,
        order_item_id,
        asin,
        seller_sku,

        -- strings
        title,
        item_price__currency_code as currency_code,

        -- numerics
        cast(quantity_ordered as integer) as quantity_ordered,
        cast(quantity_shipped as integer) as quantity_shipped,
        -- MWS ItemPrice is the line total (unit price x quantity)
        cast(
            {{ money_to_decimal('item_price__amount') }} / nullif(cast(quantity_ordered as integer), 0)
            as decimal(18, 4)
        ) as unit_price,
        {{ money_to_decimal('item_price__amount') }} as item_subtotal,

        -- timestamps
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
