-- one row per item of an order, from the source that won the order; an order's items are rebuilt
-- together whenever the order is (its loaded_at covers its items), and dropped when the source
-- that now wins it has none
{{ config(
    materialized='incremental',
    unique_key=['seller_id', 'order_id'],
    post_hook="{{ drop_items_of_orders_without_items() }}",
) }}

with

changed as {{ materialized() }} (

    {{ changed_partitions(ref('orders'), ['seller_id', 'order_id']) }}

),

items as (

    select * from {{ ref('int_order_items_unioned') }} as items
    where {{ changed_only('items', ['seller_id', 'order_id']) }}

),

orders as (

    select * from {{ ref('orders') }} as orders
    where {{ changed_only('orders', ['seller_id', 'order_id']) }}

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
        orders.order_date,
        orders.loaded_at

    from items
    inner join orders
        on items.seller_id = orders.seller_id
        and items.order_id = orders.order_id

)

select * from final
