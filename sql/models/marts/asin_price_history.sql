-- the buy box, sales rank and quantity per ASIN and marketplace over time: Amzpecty's
-- snapshots, extended into the past by ECS (Product Advertising API) observations of the ASINs
-- Amzpecty tracks; against our own price then: the lowest of our listings' prices valid at the
-- snapshot, else (ASINs we sell but whose listings were not loaded) our latest order's price.
-- An ASIN's marketplace is rebuilt whenever anything of it is loaded: a snapshot, an ECS price,
-- a listing (or the end of one), an order item or its catalog entry.
{{ config(materialized='incremental', unique_key=['asin', 'marketplace_id']) }}

{%- set partition = ['asin', 'marketplace_id'] %}

with

snapshots as (

    select * from {{ ref('stg_amzpecty__asin_snapshots') }}

),

domains as (

    select * from {{ ref('amazon_domains') }}

),

amzpecty as {{ inlined() }} (

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
        snapshots.snapshot_at,
        snapshots.loaded_at
    from snapshots
    left join domains
        on snapshots.domain = domains.domain

),

prices as {{ inlined() }} (

    select * from {{ ref('stg_paapi__item_prices') }}

),

listings_history as {{ inlined() }} (

    select * from {{ ref('listings_history') }}

),

order_items as {{ inlined() }} (

    select * from {{ ref('order_items') }}

),

catalog_items as {{ inlined() }} (

    select * from {{ ref('catalog') }}

),

changed as {{ materialized() }} (

    {{ changed_partitions('amzpecty', partition) }}
    union
    {{ changed_partitions('prices', partition) }}
    union
    {{ changed_partitions('listings_history', partition) }}
    union
    {{ changed_partitions('order_items', partition) }}
    union
    {{ changed_partitions('catalog_items', partition) }}
    {%- if incremental_build() %}
    union
    -- a listing that ended (dlt closed its last version without a new load)
    select asin, marketplace_id
    from listings_history
    group by seller_id, marketplace_id, sku, asin
    having max(case when is_current then 1 else 0 end) = 0
    {%- endif %}

),

located_snapshots as (

    select * from amzpecty
    where {{ changed_only('amzpecty', partition) }}

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
        prices.observed_at as snapshot_at,
        prices.loaded_at
    from prices
    where exists (
        select 1
        from located_snapshots as amzpecty
        where amzpecty.asin = prices.asin and amzpecty.marketplace_id = prices.marketplace_id
    )

),

located as (

    select * from located_snapshots
    union all
    select * from ecs

),

listings as (

    select asin, marketplace_id, currency_code, price, valid_from, valid_to, loaded_at
    from listings_history
    where price is not null and {{ changed_only('listings_history', partition) }}

),

-- only the prices a snapshot compares with (an agency's orders outnumber its snapshots)
compared_order_items as {{ inlined() }} (

    select * from order_items
    where unit_price is not null
        and exists (
            select 1 from located
            where located.asin = order_items.asin and located.marketplace_id = order_items.marketplace_id
        )

),

-- the latest purchase first (an aggregate: ranking every order item would sort them all)
latest_purchases as (

    select asin, marketplace_id, max(purchased_at) as purchased_at
    from compared_order_items
    group by asin, marketplace_id

),

ranked_order_prices as (

    select
        items.asin,
        items.marketplace_id,
        items.currency_code,
        items.unit_price,
        items.purchased_at,
        items.loaded_at,
        row_number() over (
            partition by items.asin, items.marketplace_id
            order by items.order_id desc, items.order_item_id desc
        ) as price_rank

    from compared_order_items as items
    inner join latest_purchases as latest
        on items.asin = latest.asin
        and items.marketplace_id = latest.marketplace_id
        and (items.purchased_at = latest.purchased_at
            or (items.purchased_at is null and latest.purchased_at is null))

),

order_prices as (

    select asin, marketplace_id, currency_code, unit_price, purchased_at, loaded_at
    from ranked_order_prices
    where price_rank = 1

),

catalog as (

    select asin, marketplace_id, item_name, brand, loaded_at
    from catalog_items
    where {{ changed_only('catalog_items', partition) }}

),

listed as (

    select
        located.observation_id,
        min(listings.price) as listing_price,
        max(listings.loaded_at) as loaded_at
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
        cast(located.snapshot_at as date) as snapshot_date,
        greatest(
            located.loaded_at,
            coalesce(listed.loaded_at, located.loaded_at),
            coalesce(order_prices.loaded_at, located.loaded_at),
            coalesce(catalog.loaded_at, located.loaded_at)
        ) as loaded_at

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
