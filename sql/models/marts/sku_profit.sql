-- revenue - fees - refunds per SKU, marketplace, local day and currency: revenue on the order
-- day (cancelled orders add nothing), fees and refunds on the day Amazon posted them. A SKU's
-- day is rebuilt whenever an order or a financial event of it that day is loaded, and every SKU
-- of a day with an order built since.
{{ config(
    materialized='incremental',
    unique_key=['seller_id', 'marketplace_id', 'seller_sku', 'profit_date'],
    pre_hook="{{ drop_changed_days(ref('orders'), ['seller_id', 'marketplace_id', 'profit_date'],
        ['seller_id', 'marketplace_id', 'order_date']) }}",
) }}
-- depends_on: {{ ref('orders') }}

{%- set partition = ['seller_id', 'marketplace_id', 'seller_sku', 'profit_date'] %}
{#- a day with an order built since is made again with every SKU of it (drop_changed_days) #}
{%- set order_day_built = on_changed_day('movements', ref('orders'),
    ['seller_id', 'marketplace_id', 'profit_date'], ['seller_id', 'marketplace_id', 'order_date'])
    if incremental_build() else none %}

with

marketplaces as (

    select * from {{ ref('marketplaces') }}

),

sold as {{ inlined() }} (

    select
        seller_id,
        marketplace_id,
        seller_sku,
        order_date as profit_date,
        currency_code,
        case when is_cancelled then 0 else quantity_ordered end as units,
        case when is_cancelled then 0 else item_subtotal end as revenue,
        0 as fees,
        0 as refunds,
        loaded_at
    from {{ ref('order_items') }}
    where seller_sku is not null

),

-- Amazon signs charges negative: a cost is the amount negated
charged as {{ inlined() }} (

    select
        amounts.seller_id,
        marketplaces.marketplace_id,
        amounts.seller_sku,
        {{ local_date('amounts.posted_at', 'marketplaces.timezone') }} as profit_date,
        amounts.currency_code,
        0 as units,
        0 as revenue,
        case when amounts.is_fee then -amounts.amount else 0 end as fees,
        case when amounts.is_refunded_charge then -amounts.amount else 0 end as refunds,
        amounts.loaded_at
    from {{ ref('stg_sp_api__financial_event_amounts') }} as amounts
    inner join marketplaces
        on amounts.marketplace_name = marketplaces.marketplace_name
    where amounts.seller_sku is not null

),

movements as {{ inlined() }} (

    select * from sold
    union all
    select * from charged

),

changed as {{ materialized() }} (

    {{ changed_partitions('movements', partition, also=order_day_built) }}

),

final as (

    select
        seller_id,
        marketplace_id,
        seller_sku,
        profit_date,
        currency_code,
        cast(sum(units) as bigint) as units,
        cast(sum(revenue) as decimal(18, 4)) as revenue,
        cast(sum(fees) as decimal(18, 4)) as fees,
        cast(sum(refunds) as decimal(18, 4)) as refunds,
        cast(sum(revenue) - sum(fees) - sum(refunds) as decimal(18, 4)) as profit,
        max(loaded_at) as loaded_at

    from movements
    where {{ changed_only('movements', partition) }}
    group by seller_id, marketplace_id, seller_sku, profit_date, currency_code

)

select * from final
