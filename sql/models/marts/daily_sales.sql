-- ordered product sales per seller, marketplace, local day and currency; cancelled orders count
-- apart. A day is rebuilt whenever any of its orders or their items is.
{{ config(
    materialized='incremental',
    unique_key=['seller_id', 'marketplace_id', 'order_date'],
    pre_hook="{{ drop_changed_days(ref('orders'), ['seller_id', 'marketplace_id', 'order_date']) }}",
) }}

with

changed as {{ materialized() }} (

    {{ changed_partitions(ref('order_items'), ['seller_id', 'marketplace_id', 'order_date']) }}
    union
    {{ changed_partitions(ref('orders'), ['seller_id', 'marketplace_id', 'order_date']) }}

),

items as (

    select * from {{ ref('order_items') }} as items
    where {{ changed_only('items', ['seller_id', 'marketplace_id', 'order_date']) }}

),

final as (

    select
        seller_id,
        marketplace_id,
        order_date,
        currency_code,
        count(distinct case when not is_cancelled then order_id end) as orders,
        cast(coalesce(sum(case when not is_cancelled then quantity_ordered end), 0) as bigint)
            as units,
        coalesce(sum(case when not is_cancelled then item_subtotal end), 0) as gross_sales,
        count(distinct case when is_cancelled then order_id end) as cancelled_orders,
        max(loaded_at) as loaded_at

    from items
    group by seller_id, marketplace_id, order_date, currency_code

)

select * from final
