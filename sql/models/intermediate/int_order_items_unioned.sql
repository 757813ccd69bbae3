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

report_items as (

    select
        items.seller_id,
        items.order_id,
        -- the flat file has no item id: the SKU and its line among the order's lines of it
        'report:' || items.seller_sku || ':' || items.sku_line as order_item_id,
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
        'sp_api_reports' as source_system
    from {{ ref('stg_sp_api__report_order_items') }} as items
    left join {{ ref('marketplaces') }} as marketplaces
        on items.marketplace_name = marketplaces.marketplace_name

),

unioned as (

    select * from sp_api_items
    union all
    select * from report_items

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
