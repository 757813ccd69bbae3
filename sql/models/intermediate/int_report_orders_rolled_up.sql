-- the orders flat file (one row per item line) rolled up to the Orders API's order grain, in its
-- vocabulary: marketplace ids, upper-case statuses, order totals of items and shipping; an order
-- is rolled up again whenever any of its lines is loaded
{{ config(materialized='incremental', unique_key=['seller_id', 'order_id']) }}

with

lines as {{ inlined() }} (

    select * from {{ ref('stg_sp_api__report_order_items') }}

),

changed as {{ materialized() }} (

    {{ changed_partitions('lines', ['seller_id', 'order_id']) }}

),

items as (

    select * from lines
    where {{ changed_only('lines', ['seller_id', 'order_id']) }}

),

marketplaces as (

    select marketplace_id, marketplace_name from {{ ref('marketplaces') }}

),

orders as (

    select
        items.seller_id,
        items.order_id,
        any_value(marketplaces.marketplace_id) as marketplace_id,
        case upper(any_value(items.order_status))
            when 'CANCELLED' then 'CANCELLED'
            when 'CANCELED' then 'CANCELLED'
            when 'SHIPPED' then 'SHIPPED'
            when 'PENDING' then 'PENDING'
            else 'UNSHIPPED'
        end as order_status,
        case any_value(items.fulfillment_channel)
            when 'Amazon' then 'AMAZON'
            when 'Merchant' then 'MERCHANT'
        end as fulfilled_by,
        case any_value(items.ship_service_level)
            when 'Standard' then 'STANDARD'
            when 'Expedited' then 'EXPEDITED'
            when 'NextDay' then 'NEXT_DAY'
        end as service_level,
        case when any_value(items.marketplace_name) like 'Amazon.%' then 'AMAZON' else 'NON_AMAZON' end
            as sales_channel,
        any_value(items.currency_code) as currency_code,
        sum(items.item_subtotal + coalesce(items.shipping_price, 0)) as order_total,
        min(items.purchased_at) as purchased_at,
        max(items.last_updated_at) as last_updated_at,
        max(items.loaded_at) as loaded_at

    from items
    left join marketplaces
        on items.marketplace_name = marketplaces.marketplace_name
    group by items.seller_id, items.order_id

),

final as (

    select
        seller_id,
        order_id,
        marketplace_id,
        order_status,
        fulfilled_by,
        service_level,
        sales_channel,
        currency_code,
        order_total,
        -- the flat file does not say whether an order was Prime
        false as is_prime,
        order_status = 'CANCELLED' as is_cancelled,
        purchased_at,
        last_updated_at,
        loaded_at
    from orders

)

select * from final
