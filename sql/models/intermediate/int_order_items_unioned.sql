-- every source of order items, keeping only the items of the source that won the order; an
-- order's items are taken again whenever any of them, or the order's winning row, is loaded
{{ config(
    materialized='incremental',
    unique_key=['seller_id', 'order_id'],
    pre_hook="{{ drop_items_of_sources_that_lost() }}",
) }}

with

sp_api_items as {{ inlined() }} (

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
        loaded_at,
        'sp_api_orders' as source_system
    from {{ ref('stg_sp_api__order_items') }}

),

report_items as {{ inlined() }} (

    select
        items.seller_id,
        items.order_id,
        -- the flat file has no item id: the SKU and its line among the order's lines of it
        'report:' || items.seller_sku || ':' || cast(items.sku_line as {{ dbt.type_string() }})
            as order_item_id,
        marketplaces.marketplace_id,
        items.asin,
        items.seller_sku,
        items.title,
        items.currency_code,
        items.quantity_ordered,
        case when items.item_status = 'Shipped' then items.quantity_ordered else 0 end
            as quantity_shipped,
        cast(items.item_subtotal / nullif(items.quantity_ordered, 0) as decimal(18, 4))
            as unit_price,
        items.item_subtotal,
        items.loaded_at,
        'sp_api_reports' as source_system
    from {{ ref('stg_sp_api__report_order_items') }} as items
    left join {{ ref('marketplaces') }} as marketplaces
        on items.marketplace_name = marketplaces.marketplace_name

),

mws_items as {{ inlined() }} (

    select
        items.seller_id,
        items.order_id,
        items.order_item_id,
        orders.marketplace_id,
        items.asin,
        items.seller_sku,
        items.title,
        items.currency_code,
        items.quantity_ordered,
        items.quantity_shipped,
        items.unit_price,
        items.item_subtotal,
        -- the marketplace comes from the order
        greatest(items.loaded_at, coalesce(orders.loaded_at, items.loaded_at)) as loaded_at,
        'mws' as source_system
    from {{ ref('stg_mws__order_items') }} as items
    left join {{ ref('stg_mws__orders') }} as orders
        on items.seller_id = orders.seller_id
        and items.order_id = orders.order_id

),

aim_items as {{ inlined() }} (

    select
        items.seller_id,
        items.order_id,
        items.order_item_id,
        items.marketplace_id,
        cast(null as {{ dbt.type_string() }}) as asin,
        items.seller_sku,
        items.title,
        marketplaces.currency_code,
        items.quantity_purchased as quantity_ordered,
        cast(null as integer) as quantity_shipped,
        items.unit_price,
        items.unit_price * items.quantity_purchased as item_subtotal,
        items.loaded_at,
        'aim' as source_system
    from {{ ref('stg_aim__order_items') }} as items
    left join {{ ref('marketplaces') }} as marketplaces
        on items.marketplace_id = marketplaces.marketplace_id

),

unioned as {{ inlined() }} (

    select * from sp_api_items
    union all
    select * from report_items
    union all
    select * from mws_items
    union all
    select * from aim_items

),

orders as {{ inlined() }} (

    select seller_id, order_id, source_system, loaded_at from {{ ref('int_orders_unioned') }}

),

changed as {{ materialized() }} (

    {{ changed_partitions('unioned', ['seller_id', 'order_id']) }}
    union
    {{ changed_partitions('orders', ['seller_id', 'order_id']) }}

),

winners as (

    select * from orders
    where {{ changed_only('orders', ['seller_id', 'order_id']) }}

)

select unioned.*
from unioned
inner join winners
    on unioned.seller_id = winners.seller_id
    and unioned.order_id = winners.order_id
    and unioned.source_system = winners.source_system
where {{ changed_only('unioned', ['seller_id', 'order_id']) }}
