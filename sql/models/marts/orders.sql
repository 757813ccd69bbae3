-- one row per order, from the source that won it; rebuilt for every order whose winning row or
-- items were loaded since the last build
{{ config(materialized='incremental', unique_key=['seller_id', 'order_id']) }}

with

changed as {{ materialized() }} (

    {{ changed_partitions(ref('int_orders_unioned'), ['seller_id', 'order_id']) }}
    union
    {{ changed_partitions(ref('int_order_items_unioned'), ['seller_id', 'order_id']) }}

),

orders as (

    select * from {{ ref('int_orders_unioned') }} as orders
    where {{ changed_only('orders', ['seller_id', 'order_id']) }}

),

items as (

    select
        seller_id,
        order_id,
        count(*) as item_lines,
        cast(sum(quantity_ordered) as bigint) as units,
        sum(item_subtotal) as item_subtotal,
        max(loaded_at) as loaded_at
    from {{ ref('int_order_items_unioned') }} as items
    where {{ changed_only('items', ['seller_id', 'order_id']) }}
    group by seller_id, order_id

),

marketplaces as (

    select * from {{ ref('marketplaces') }}

),

final as (

    select
        orders.seller_id,
        orders.order_id,
        orders.marketplace_id,
        marketplaces.country_code,
        orders.order_status,
        orders.fulfilled_by,
        orders.service_level,
        orders.sales_channel,
        orders.source_system,
        coalesce(orders.currency_code, marketplaces.currency_code) as currency_code,
        orders.order_total,
        coalesce(items.item_lines, 0) as item_lines,
        coalesce(items.units, 0) as units,
        items.item_subtotal,
        orders.is_prime,
        orders.is_cancelled,
        orders.purchased_at,
        orders.last_updated_at,
        {{ local_date('orders.purchased_at', 'marketplaces.timezone') }} as order_date,
        greatest(orders.loaded_at, coalesce(items.loaded_at, orders.loaded_at)) as loaded_at

    from orders
    left join items
        on orders.seller_id = items.seller_id
        and orders.order_id = items.order_id
    left join marketplaces
        on orders.marketplace_id = marketplaces.marketplace_id

)

select * from final
