with

items as (

    select * from {{ ref('int_order_items_unioned') }}

),

orders as (

    select * from {{ ref('orders') }}

),

final as (

    select
        items.seller_id,
        items.order_id,
        items.order_item_id,
        items.marketplace_id,
        items.asin,
        items.seller_sku,
        items.title,
        items.source_system,
        orders.order_status,
        orders.fulfilled_by,
        items.currency_code,
        items.quantity_ordered,
        items.quantity_shipped,
        items.unit_price,
        items.item_subtotal,
        orders.is_cancelled,
        orders.purchased_at,
        orders.order_date

    from items
    inner join orders
        on items.seller_id = orders.seller_id
        and items.order_id = orders.order_id

)

select * from final
