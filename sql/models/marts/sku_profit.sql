-- revenue - fees - refunds per SKU, marketplace, local day and currency: revenue on the order
-- day (cancelled orders add nothing), fees and refunds on the day Amazon posted them. A SKU's
-- day is rebuilt whenever an order or a financial event of it that day is loaded.
{{ config(
    materialized='incremental',
    unique_key=['seller_id', 'marketplace_id', 'seller_sku', 'profit_date'],
) }}

{%- set partition = ['seller_id', 'marketplace_id', 'seller_sku', 'profit_date'] %}

with

marketplaces as (

    select * from {{ ref('marketplaces') }}

),

sold as (

    select
        seller_id,
        marketplace_id,
        seller_sku,
        order_date as profit_date,
        currency_code,
        case when is_cancelled then 0 else quantity_ordered end as units,
        case when is_cancelled then 0 else item_subtotal end as revenue,
        loaded_at
    from {{ ref('order_items') }}
    where seller_sku is not null

),

-- Amazon signs charges negative: a cost is the amount negated
charged as (

    select
        amounts.seller_id,
        marketplaces.marketplace_id,
        amounts.seller_sku,
        {{ local_date('amounts.posted_at', 'marketplaces.timezone') }} as profit_date,
        amounts.currency_code,
        case when amounts.is_fee then -amounts.amount else 0 end as fees,
        case when amounts.is_refunded_charge then -amounts.amount else 0 end as refunds,
        amounts.loaded_at
    from {{ ref('stg_sp_api__financial_event_amounts') }} as amounts
    inner join marketplaces
        on amounts.marketplace_name = marketplaces.marketplace_name
    where amounts.seller_sku is not null

),

changed as (

    {{ changed_partitions('sold', partition) }}
    union
    {{ changed_partitions('charged', partition) }}

),

revenue as (

    select
        seller_id,
        marketplace_id,
        seller_sku,
        profit_date,
        currency_code,
        cast(sum(units) as bigint) as units,
        sum(revenue) as revenue,
        max(loaded_at) as loaded_at
    from sold
    where {{ changed_only('sold', partition) }}
    group by seller_id, marketplace_id, seller_sku, profit_date, currency_code

),

money as (

    select
        seller_id,
        marketplace_id,
        seller_sku,
        profit_date,
        currency_code,
        sum(fees) as fees,
        sum(refunds) as refunds,
        max(loaded_at) as loaded_at
    from charged
    where {{ changed_only('charged', partition) }}
    group by seller_id, marketplace_id, seller_sku, profit_date, currency_code

),

days as (

    select distinct seller_id, marketplace_id, seller_sku, profit_date, currency_code
    from (
        select seller_id, marketplace_id, seller_sku, profit_date, currency_code from revenue
        union all
        select seller_id, marketplace_id, seller_sku, profit_date, currency_code from money
    ) as known_days

),

final as (

    select
        days.seller_id,
        days.marketplace_id,
        days.seller_sku,
        days.profit_date,
        days.currency_code,
        coalesce(revenue.units, 0) as units,
        cast(coalesce(revenue.revenue, 0) as decimal(18, 4)) as revenue,
        cast(coalesce(money.fees, 0) as decimal(18, 4)) as fees,
        cast(coalesce(money.refunds, 0) as decimal(18, 4)) as refunds,
        cast(
            coalesce(revenue.revenue, 0) - coalesce(money.fees, 0) - coalesce(money.refunds, 0)
            as decimal(18, 4)
        ) as profit,
        greatest(
            coalesce(revenue.loaded_at, money.loaded_at), coalesce(money.loaded_at, revenue.loaded_at)
        ) as loaded_at

    from days
    left join revenue
        on days.seller_id = revenue.seller_id
        and days.marketplace_id = revenue.marketplace_id
        and days.seller_sku = revenue.seller_sku
        and days.profit_date = revenue.profit_date
        and days.currency_code = revenue.currency_code
    left join money
        on days.seller_id = money.seller_id
        and days.marketplace_id = money.marketplace_id
        and days.seller_sku = money.seller_sku
        and days.profit_date = money.profit_date
        and days.currency_code = money.currency_code

)

select * from final
