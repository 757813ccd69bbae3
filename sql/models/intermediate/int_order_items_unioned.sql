-- every source of order items, keeping only the items of the source that won the order
with

sp_api_items as (

    select
        seller_id,
        order_id,
        order_item_id,
        marketplace_id,
        asin,
        seller_sku,
        title,
        currency_code,
        quantity_ordered,
        quantity_shipped,
        unit_price,
        item_subtotal,
        'sp_api_orders' as source_system
    from {{ ref('stg_sp_api__order_items') }}

),

unioned as (

    select * from sp_api_items

),

orders as (

    select seller_id, order_id, source_system from {{ ref('int_orders_unioned') }}

)

select unioned.*
from unioned
inner join orders
    on unioned.seller_id = orders.seller_id
    and unioned.order_id = orders.order_id
    and unioned.source_system = orders.source_system
