-- what Amazon charged per order item and fee type, from financial events; a refund's fee
-- adjustments net against the fee, and amounts keep Amazon's sign (a charge is negative). An
-- order's fees are rebuilt whenever any of its financial events is loaded.
{{ config(materialized='incremental', unique_key=['seller_id', 'order_id']) }}

with

fee_amounts as {{ inlined() }} (

    select * from {{ ref('stg_sp_api__financial_event_amounts') }}
    where is_fee and order_item_id is not null

),

changed as {{ materialized() }} (

    {{ changed_partitions('fee_amounts', ['seller_id', 'order_id']) }}

),

amounts as (

    select * from fee_amounts
    where {{ changed_only('fee_amounts', ['seller_id', 'order_id']) }}

),

final as (

    select
        seller_id,
        order_id,
        order_item_id,
        amount_description as fee_type,
        currency_code,
        any_value(seller_sku) as seller_sku,
        sum(amount) as fee_amount,
        count(*) as fee_lines,
        min(posted_at) as first_posted_at,
        max(posted_at) as last_posted_at,
        max(loaded_at) as loaded_at

    from amounts
    group by seller_id, order_id, order_item_id, amount_description, currency_code

)

select * from final
