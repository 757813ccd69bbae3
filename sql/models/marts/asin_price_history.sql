with

snapshots as (

    select * from {{ ref('stg_amzpecty__asin_snapshots') }}

),

domains as (

    select * from {{ ref('amazon_domains') }}

),

-- our latest unit price per ASIN and marketplace, until listings are loaded
our_prices as (

    select
        asin,
        marketplace_id,
        currency_code,
        unit_price,
        purchased_at

    from {{ ref('order_items') }}
    where unit_price is not null
    qualify row_number() over (
        partition by asin, marketplace_id
        order by purchased_at desc, order_id desc, order_item_id desc
    ) = 1

),

final as (

    select
        snapshots.rid,
        snapshots.asin,
        domains.marketplace_id,
        snapshots.parent_asin,
        snapshots.item_condition,
        snapshots.currency_code,
        snapshots.buybox_seller_name,
        snapshots.buybox_price,
        our_prices.unit_price as our_unit_price,
        our_prices.unit_price - snapshots.buybox_price as our_price_above_buybox,
        snapshots.sales_rank,
        snapshots.total_quantity,
        snapshots.snapshot_at,
        cast(snapshots.snapshot_at as date) as snapshot_date,
        our_prices.purchased_at as our_price_seen_at

    from snapshots
    left join domains
        on snapshots.domain = domains.domain
    left join our_prices
        on snapshots.asin = our_prices.asin
        and domains.marketplace_id = our_prices.marketplace_id
        and snapshots.currency_code = our_prices.currency_code

)

select * from final
