-- the buy box, sales rank and quantity per ASIN and marketplace over time: Amzpecty's
-- snapshots, extended into the past by ECS (Product Advertising API) observations of the ASINs
-- Amzpecty tracks; against our own price then: the lowest of our listings' prices valid at the
-- snapshot, else (ASINs we sell but whose listings were not loaded) our latest order's price
with

snapshots as (

    select * from {{ ref('stg_amzpecty__asin_snapshots') }}

),

domains as (

    select * from {{ ref('amazon_domains') }}

),

amzpecty as (

    select
        snapshots.rid as observation_id,
        snapshots.rid,
        'amzpecty' as source_system,
        snapshots.asin,
        domains.marketplace_id,
        snapshots.parent_asin,
        snapshots.item_condition,
        snapshots.currency_code,
        snapshots.buybox_seller_name,
        snapshots.buybox_price,
        snapshots.sales_rank,
        snapshots.total_quantity,
        snapshots.snapshot_at
    from snapshots
    left join domains
        on snapshots.domain = domains.domain

),

-- ECS gave the lowest new offer, the buy box's usual price, and the sales rank
ecs as (

    select
        'paapi:' || prices.asin || ':' || prices.marketplace_id || ':'
            || {{ timestamp_digits('prices.observed_at') }} as observation_id,
        cast(null as {{ dbt.type_string() }}) as rid,
        'paapi' as source_system,
        prices.asin,
        prices.marketplace_id,
        cast(null as {{ dbt.type_string() }}) as parent_asin,
        'new' as item_condition,
        prices.currency_code,
        cast(null as {{ dbt.type_string() }}) as buybox_seller_name,
        cast(prices.price as decimal(18, 4)) as buybox_price,
        prices.sales_rank,
        cast(null as bigint) as total_quantity,
        prices.observed_at as snapshot_at
    from {{ ref('stg_paapi__item_prices') }} as prices
    where exists (
        select 1
        from amzpecty
        where amzpecty.asin = prices.asin and amzpecty.marketplace_id = prices.marketplace_id
    )

),

located as (

    select * from amzpecty
    union all
    select * from ecs

),

listings as (

    select asin, marketplace_id, currency_code, price, valid_from, valid_to
    from {{ ref('listings_history') }}
    where price is not null

),

ranked_order_prices as (

    select
        asin,
        marketplace_id,
        currency_code,
        unit_price,
        purchased_at,
        row_number() over (
            partition by asin, marketplace_id
            order by purchased_at desc nulls last, order_id desc, order_item_id desc
        ) as price_rank

    from {{ ref('order_items') }}
    where unit_price is not null

),

order_prices as (

    select asin, marketplace_id, currency_code, unit_price, purchased_at
    from ranked_order_prices
    where price_rank = 1

),

catalog as (

    select asin, marketplace_id, item_name, brand from {{ ref('catalog') }}

),

listed as (

    select located.observation_id, min(listings.price) as listing_price
    from located
    inner join listings
        on located.asin = listings.asin
        and located.marketplace_id = listings.marketplace_id
        and located.currency_code = listings.currency_code
        and listings.valid_from <= located.snapshot_at
        and (listings.valid_to is null or located.snapshot_at < listings.valid_to)
    group by located.observation_id

),

final as (

    select
        located.observation_id,
        located.rid,
        located.source_system,
        located.asin,
        located.marketplace_id,
        located.parent_asin,
        catalog.item_name,
        catalog.brand,
        located.item_condition,
        located.currency_code,
        located.buybox_seller_name,
        located.buybox_price,
        cast(coalesce(listed.listing_price, order_prices.unit_price) as decimal(18, 4))
            as our_unit_price,
        case
            when listed.listing_price is not null then 'listing'
            when order_prices.unit_price is not null then 'latest_order'
        end as our_price_source,
        cast(
            coalesce(listed.listing_price, order_prices.unit_price) - located.buybox_price
            as decimal(18, 4)
        ) as our_price_above_buybox,
        located.sales_rank,
        located.total_quantity,
        located.snapshot_at,
        cast(located.snapshot_at as date) as snapshot_date

    from located
    left join listed
        on located.observation_id = listed.observation_id
    left join order_prices
        on located.asin = order_prices.asin
        and located.marketplace_id = order_prices.marketplace_id
        and located.currency_code = order_prices.currency_code
    left join catalog
        on located.asin = catalog.asin
        and located.marketplace_id = catalog.marketplace_id

)

select * from final
