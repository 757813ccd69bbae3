-- one row per settlement: its stated total reconciled against the sum of its lines; rebuilt
-- whenever any of its lines is loaded (a late line, or the whole report again)
{{ config(materialized='incremental', unique_key=['seller_id', 'settlement_id']) }}

with

changed as {{ materialized() }} (

    {{ changed_partitions(ref('stg_sp_api__settlement_lines'), ['seller_id', 'settlement_id']) }}

),

lines as (

    select * from {{ ref('stg_sp_api__settlement_lines') }} as lines
    where {{ changed_only('lines', ['seller_id', 'settlement_id']) }}

),

loads as (

    select seller_id, settlement_id, max(loaded_at) as loaded_at
    from lines
    group by seller_id, settlement_id

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
        summaries.total_amount = coalesce(details.lines_total, 0) as is_reconciled,
        loads.loaded_at

    from summaries
    left join details
        on summaries.seller_id = details.seller_id
        and summaries.settlement_id = details.settlement_id
    inner join loads
        on summaries.seller_id = loads.seller_id
        and summaries.settlement_id = loads.settlement_id

)

select * from final
