with

orders as (

    select * from {{ ref('int_orders_unioned') }}

),

items as (

    select
        seller_id,
        order_id,
        count(*) as item_lines,
        cast(sum(quantity_ordered) as bigint) as units,
        sum(item_subtotal) as item_subtotal
    from {{ ref('int_order_items_unioned') }}
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
        {{ local_date('orders.purchased_at', 'marketplaces.timezone') }} as order_date

    from orders
    left join items
        on orders.seller_id = items.seller_id
        and orders.order_id = items.order_id
    left join marketplaces
        on orders.marketplace_id = marketplaces.marketplace_id

)

select * from final
