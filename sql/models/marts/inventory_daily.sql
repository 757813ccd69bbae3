-- FBA inventory per SKU and marketplace day (the marketplace's time zone), from two sources:
-- the FBA Inventory API's summaries, where each day carries the last summary reported by its
-- end (from a SKU's first report through the latest day any report of its seller and
-- marketplace reached, at most two years), and the daily FBA inventory report's snapshots.
-- Where both know a SKU's day, the API's summary wins (as the Orders API's rows do).
with

summaries as (

    select
        summaries.*,
        {{ local_date('summaries.last_updated_at', 'marketplaces.timezone') }} as changed_on
    from {{ ref('stg_sp_api__inventory_summaries') }} as summaries
    left join {{ ref('marketplaces') }} as marketplaces
        on summaries.marketplace_id = marketplaces.marketplace_id

),

day_versions as (

    select *
    from summaries
    qualify row_number() over (
        partition by seller_id, marketplace_id, sku, changed_on order by last_updated_at desc
    ) = 1

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
        greatest(min(versions.changed_on), max(reach.last_day) - interval 729 day) as first_day,
        max(reach.last_day) as last_day
    from day_versions as versions
    inner join reach
        on versions.seller_id = reach.seller_id
        and versions.marketplace_id = reach.marketplace_id
    group by versions.seller_id, versions.marketplace_id, versions.sku

),

days as (

    select
        seller_id,
        marketplace_id,
        sku,
        cast(unnest(generate_series(first_day, last_day, interval 1 day)) as date) as inventory_date
    from spans

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
    asof inner join day_versions as versions
        on days.seller_id = versions.seller_id
        and days.marketplace_id = versions.marketplace_id
        and days.sku = versions.sku
        and days.inventory_date >= versions.changed_on

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
    from {{ ref('stg_sp_api__report_fba_inventory') }}
    group by seller_id, marketplace_id, seller_sku, snapshot_date

),

unioned as (

    select * from api_days
    union all
    select * from report_days

),

final as (

    select * exclude (source_priority)
    from unioned
    qualify row_number() over (
        partition by seller_id, marketplace_id, seller_sku, inventory_date
        order by source_priority
    ) = 1

)

select * from final
