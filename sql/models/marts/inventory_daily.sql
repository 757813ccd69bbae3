-- FBA inventory per SKU and marketplace day (the marketplace's time zone), from two sources:
-- the FBA Inventory API's summaries, where each day carries the last summary reported by its
-- end (from a SKU's first report through the latest day any report of its seller and
-- marketplace reached, at most two years), and the daily FBA inventory report's snapshots.
-- Where both know a SKU's day, the API's summary wins (as the Orders API's rows do). A seller's
-- marketplace is rebuilt whenever any of its inventory is loaded (a later day moves its window).
{{ config(materialized='incremental', unique_key=['seller_id', 'marketplace_id']) }}

with

changed as {{ materialized() }} (

    {{ changed_partitions(ref('stg_sp_api__inventory_summaries'), ['seller_id', 'marketplace_id']) }}
    union
    {{ changed_partitions(ref('stg_sp_api__report_fba_inventory'), ['seller_id', 'marketplace_id']) }}

),

summaries as (

    select
        summaries.*,
        {{ local_date('summaries.last_updated_at', 'marketplaces.timezone') }} as changed_on
    from {{ ref('stg_sp_api__inventory_summaries') }} as summaries
    left join {{ ref('marketplaces') }} as marketplaces
        on summaries.marketplace_id = marketplaces.marketplace_id
    where {{ changed_only('summaries', ['seller_id', 'marketplace_id']) }}

),

reports as (

    select * from {{ ref('stg_sp_api__report_fba_inventory') }} as reports
    where {{ changed_only('reports', ['seller_id', 'marketplace_id']) }}

),

loads as (

    select seller_id, marketplace_id, max(loaded_at) as loaded_at
    from (
        select seller_id, marketplace_id, loaded_at from summaries
        union all
        select seller_id, marketplace_id, loaded_at from reports
    ) as loaded
    group by seller_id, marketplace_id

),

ranked_versions as (

    select
        *,
        row_number() over (
            partition by seller_id, marketplace_id, sku, changed_on
            order by last_updated_at desc nulls last
        ) as day_rank
    from summaries

),

-- each day's last summary, valid until the next day that has one
day_versions as (

    select
        *,
        lead(changed_on) over (
            partition by seller_id, marketplace_id, sku order by changed_on
        ) as next_changed_on
    from ranked_versions
    where day_rank = 1

),

reach as (

    select seller_id, marketplace_id, max(changed_on) as last_day
    from day_versions
    group by seller_id, marketplace_id

),

spans as (

    select
        versions.seller_id,
        versions.marketplace_id,
        versions.sku,
        greatest(
            min(versions.changed_on),
            cast({{ dbt.dateadd('day', -729, 'max(reach.last_day)') }} as date)
        ) as first_day,
        max(reach.last_day) as last_day
    from day_versions as versions
    inner join reach
        on versions.seller_id = reach.seller_id
        and versions.marketplace_id = reach.marketplace_id
    group by versions.seller_id, versions.marketplace_id, versions.sku

),

day_numbers as (

    {{ dbt.generate_series(730) }}

),

days as (

    select
        spans.seller_id,
        spans.marketplace_id,
        spans.sku,
        cast(
            {{ dbt.dateadd('day', 'day_numbers.generated_number - 1', 'spans.first_day') }} as date
        ) as inventory_date
    from spans
    inner join day_numbers
        on day_numbers.generated_number - 1
            <= {{ dbt.datediff('spans.first_day', 'spans.last_day', 'day') }}

),

api_days as (

    select
        days.seller_id,
        days.marketplace_id,
        days.sku as seller_sku,
        days.inventory_date,
        versions.asin,
        versions.fnsku,
        versions.fulfillable_quantity,
        versions.reserved_quantity,
        versions.unfulfillable_quantity,
        coalesce(versions.inbound_working_quantity, 0)
            + coalesce(versions.inbound_shipped_quantity, 0)
            + coalesce(versions.inbound_receiving_quantity, 0) as inbound_quantity,
        versions.total_quantity,
        'fba_inventory_api' as source_system,
        1 as source_priority

    from days
    inner join day_versions as versions
        on days.seller_id = versions.seller_id
        and days.marketplace_id = versions.marketplace_id
        and days.sku = versions.sku
        and days.inventory_date >= versions.changed_on
        and (versions.next_changed_on is null or days.inventory_date < versions.next_changed_on)

),

report_days as (

    select
        seller_id,
        marketplace_id,
        seller_sku,
        snapshot_date as inventory_date,
        any_value(asin) as asin,
        any_value(fnsku) as fnsku,
        sum(fulfillable_quantity) as fulfillable_quantity,
        sum(reserved_quantity) as reserved_quantity,
        sum(unsellable_quantity) as unfulfillable_quantity,
        sum(inbound_quantity) as inbound_quantity,
        sum(total_quantity) as total_quantity,
        'fba_inventory_report' as source_system,
        2 as source_priority
    from reports
    group by seller_id, marketplace_id, seller_sku, snapshot_date

),

unioned as (

    select * from api_days
    union all
    select * from report_days

),

ranked as (

    select
        *,
        row_number() over (
            partition by seller_id, marketplace_id, seller_sku, inventory_date
            order by source_priority
        ) as source_rank
    from unioned

),

final as (

    select
        ranked.seller_id,
        ranked.marketplace_id,
        ranked.seller_sku,
        ranked.inventory_date,
        ranked.asin,
        ranked.fnsku,
        ranked.fulfillable_quantity,
        ranked.reserved_quantity,
        ranked.unfulfillable_quantity,
        ranked.inbound_quantity,
        ranked.total_quantity,
        ranked.source_system,
        loads.loaded_at
    from ranked
    inner join loads
        on ranked.seller_id = loads.seller_id
        and ranked.marketplace_id = loads.marketplace_id
    where ranked.source_rank = 1

)

select * from final
