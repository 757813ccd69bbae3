-- FBA inventory per SKU, marketplace and day, from the day's inventory report; other views of
-- the same stock (the FBA Inventory API) join on (seller_id, marketplace_id, snapshot_date,
-- seller_sku)
with

snapshots as (

    select * from {{ ref('stg_sp_api__report_fba_inventory') }}

),

final as (

    select
        seller_id,
        marketplace_id,
        snapshot_date,
        seller_sku,
        any_value(fnsku) as fnsku,
        any_value(asin) as asin,
        any_value(title) as title,
        sum(fulfillable_quantity) as fulfillable_quantity,
        sum(unsellable_quantity) as unsellable_quantity,
        sum(reserved_quantity) as reserved_quantity,
        sum(inbound_quantity) as inbound_quantity,
        sum(total_quantity) as total_quantity

    from snapshots
    group by seller_id, marketplace_id, snapshot_date, seller_sku

)

select * from final
