-- what Amazon's catalog says of each ASIN, one row per ASIN and marketplace
with

items as (

    select * from {{ ref('stg_sp_api__catalog_items') }}

),

listed as (

    select
        marketplace_id,
        asin,
        count(distinct seller_id) as listing_sellers,
        max(loaded_at) as loaded_at
    from {{ ref('stg_sp_api__listings_items') }}
    where is_current
    group by marketplace_id, asin

),

marketplaces as (

    select * from {{ ref('marketplaces') }}

),

final as (

    select
        items.asin,
        items.marketplace_id,
        marketplaces.country_code,
        items.parent_asin,
        items.item_name,
        items.brand,
        items.manufacturer,
        items.color,
        items.size,
        items.item_classification,
        items.product_type,
        items.classification_id,
        items.classification_name,
        items.sales_rank,
        items.display_group_rank,
        coalesce(listed.listing_sellers, 0) as listing_sellers,
        items.refreshed_at,
        greatest(items.loaded_at, coalesce(listed.loaded_at, items.loaded_at)) as loaded_at

    from items
    left join listed
        on items.marketplace_id = listed.marketplace_id
        and items.asin = listed.asin
    left join marketplaces
        on items.marketplace_id = marketplaces.marketplace_id

)

select * from final
