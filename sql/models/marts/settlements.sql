-- one row per settlement: its stated total reconciled against the sum of its lines
with

lines as (

    select * from {{ ref('stg_sp_api__settlement_lines') }}

),

summaries as (

    select
        seller_id,
        settlement_id,
        currency_code,
        total_amount,
        settlement_start_at,
        settlement_end_at,
        deposit_at
    from lines
    where is_summary

),

details as (

    select
        seller_id,
        settlement_id,
        any_value(marketplace_name) as marketplace_name,
        count(*) as lines,
        count(distinct order_id) as orders,
        sum(amount) as lines_total,
        sum(case when transaction_type = 'Refund' then amount else 0 end) as refunds_total,
        sum(case when amount_type = 'ItemFees' then amount else 0 end) as fees_total
    from lines
    where not is_summary
    group by seller_id, settlement_id

),

final as (

    select
        summaries.seller_id,
        summaries.settlement_id,
        details.marketplace_name,
        summaries.currency_code,
        summaries.settlement_start_at,
        summaries.settlement_end_at,
        summaries.deposit_at,
        summaries.total_amount,
        cast(coalesce(details.lines_total, 0) as decimal(18, 4)) as lines_total,
        cast(coalesce(details.fees_total, 0) as decimal(18, 4)) as fees_total,
        cast(coalesce(details.refunds_total, 0) as decimal(18, 4)) as refunds_total,
        coalesce(details.lines, 0) as lines,
        coalesce(details.orders, 0) as orders,
        cast(summaries.total_amount - coalesce(details.lines_total, 0) as decimal(18, 4))
            as unreconciled_amount,
        summaries.total_amount = coalesce(details.lines_total, 0) as is_reconciled

    from summaries
    left join details
        on summaries.seller_id = details.seller_id
        and summaries.settlement_id = details.settlement_id

)

select * from final
