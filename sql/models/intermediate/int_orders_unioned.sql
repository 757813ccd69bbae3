-- every source of orders on the SP-API order grain; where several sources know an order,
-- the most authoritative one wins (the live Orders API first), then the latest update
with

sp_api_orders as (

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
        is_prime,
        is_cancelled,
        purchased_at,
        last_updated_at,
        'sp_api_orders' as source_system,
        1 as source_priority
    from {{ ref('stg_sp_api__orders') }}

),

report_orders as (

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
        is_prime,
        is_cancelled,
        purchased_at,
        last_updated_at,
        'sp_api_reports' as source_system,
        -- the orders flat file backfills history; the live Orders API wins where both know one
        2 as source_priority
    from {{ ref('int_report_orders_rolled_up') }}

),

unioned as (

    select * from sp_api_orders
    union all
    select * from report_orders

),

ranked as (

    select
        *,
        row_number() over (
            partition by seller_id, order_id
            order by source_priority, last_updated_at desc
        ) as source_rank
    from unioned

)

select * exclude (source_rank, source_priority)
from ranked
where source_rank = 1
