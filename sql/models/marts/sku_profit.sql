-- revenue - fees - refunds per SKU, marketplace, local day and currency: revenue on the order
-- day (cancelled orders excluded), fees and refunds on the day Amazon posted them
with

marketplaces as (

    select * from {{ ref('marketplaces') }}

),

revenue as (

    select
        seller_id,
        marketplace_id,
        seller_sku,
        order_date as profit_date,
        currency_code,
        cast(sum(quantity_ordered) as bigint) as units,
        sum(item_subtotal) as revenue
    from {{ ref('order_items') }}
    where not is_cancelled
    group by seller_id, marketplace_id, seller_sku, order_date, currency_code

),

money as (

    select
        amounts.seller_id,
        marketplaces.marketplace_id,
        amounts.seller_sku,
        {{ local_date('amounts.posted_at', 'marketplaces.timezone') }} as profit_date,
        amounts.currency_code,
        -- Amazon signs charges negative: a cost is the amount negated
        -sum(case when amounts.is_fee then amounts.amount else 0 end) as fees,
        -sum(case when amounts.is_refunded_charge then amounts.amount else 0 end) as refunds
    from {{ ref('stg_sp_api__financial_event_amounts') }} as amounts
    inner join marketplaces
        on amounts.marketplace_name = marketplaces.marketplace_name
    where amounts.seller_sku is not null
    group by 1, 2, 3, 4, 5

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
        ) as profit

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
