-- every source of orders on the SP-API order grain; where several sources know an order,
-- the most authoritative one wins (the live Orders API first), then the latest update; an
-- order is ranked again whenever any source's row of it is loaded
{{ config(materialized='incremental', unique_key=['seller_id', 'order_id']) }}

with

sp_api_orders as {{ inlined() }} (

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
        loaded_at,
        'sp_api_orders' as source_system,
        1 as source_priority
    from {{ ref('stg_sp_api__orders') }}

),

-- the orders flat file backfills history; the live Orders API wins where both know an order
report_orders as {{ inlined() }} (

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
        loaded_at,
        'sp_api_reports' as source_system,
        2 as source_priority
    from {{ ref('int_report_orders_rolled_up') }}

),

mws_orders as {{ inlined() }} (

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
        loaded_at,
        'mws' as source_system,
        3 as source_priority
    from {{ ref('stg_mws__orders') }}

),

-- an AIM order report has a line per item; the order is their sum (its status is not told)
aim_orders as {{ inlined() }} (

    select
        seller_id,
        order_id,
        any_value(marketplace_id) as marketplace_id,
        cast(null as {{ dbt.type_string() }}) as order_status,
        cast(null as {{ dbt.type_string() }}) as fulfilled_by,
        cast(null as {{ dbt.type_string() }}) as service_level,
        cast(null as {{ dbt.type_string() }}) as sales_channel,
        cast(null as {{ dbt.type_string() }}) as currency_code,
        sum(total_price) as order_total,
        false as is_prime,
        false as is_cancelled,
        min(purchased_at) as purchased_at,
        max(coalesce(paid_at, purchased_at)) as last_updated_at,
        max(loaded_at) as loaded_at,
        'aim' as source_system,
        4 as source_priority
    from {{ ref('stg_aim__order_items') }}
    group by seller_id, order_id

),

unioned as {{ inlined() }} (

    select * from sp_api_orders
    union all
    select * from report_orders
    union all
    select * from mws_orders
    union all
    select * from aim_orders

),

changed as {{ materialized() }} (

    {{ changed_partitions('unioned', ['seller_id', 'order_id']) }}

),

ranked as (

    select
        seller_id,
        order_id,
        source_system,
        row_number() over (
            partition by seller_id, order_id
            order by source_priority, last_updated_at desc nulls last
        ) as source_rank
    from unioned
    where {{ changed_only('unioned', ['seller_id', 'order_id']) }}

)

select unioned.*
from unioned
inner join ranked using (seller_id, order_id, source_system)
where ranked.source_rank = 1
