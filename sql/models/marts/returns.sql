-- FBA customer returns with the marketplace, local day and value of what came back; an order's
-- returns are rebuilt whenever a return of it or the order is loaded
{{ config(materialized='incremental', unique_key=['seller_id', 'order_id']) }}

with

changed as {{ materialized() }} (

    {{ changed_partitions(ref('stg_sp_api__report_fba_returns'), ['seller_id', 'order_id']) }}
    union
    -- only orders with returns: the mart's newest row lags the orders' (most have none), so
    -- every order loaded since would be rebuilt again on each build
    select items.seller_id, items.order_id
    from ({{ changed_partitions(ref('order_items'), ['seller_id', 'order_id']) }}) as items
    where exists (
        select 1 from {{ ref('stg_sp_api__report_fba_returns') }} as returned
        where returned.seller_id = items.seller_id and returned.order_id = items.order_id
    )

),

returns as (

    select * from {{ ref('stg_sp_api__report_fba_returns') }} as returns
    where {{ changed_only('returns', ['seller_id', 'order_id']) }}

),

items as (

    select
        seller_id,
        order_id,
        seller_sku,
        any_value(marketplace_id) as marketplace_id,
        any_value(currency_code) as currency_code,
        max(unit_price) as unit_price,
        max(loaded_at) as loaded_at
    from {{ ref('order_items') }} as items
    where {{ changed_only('items', ['seller_id', 'order_id']) }}
    group by seller_id, order_id, seller_sku

),

marketplaces as (

    select * from {{ ref('marketplaces') }}

),

final as (

    select
        returns.seller_id,
        returns.order_id,
        returns.seller_sku,
        returns.license_plate_number,
        returns.return_line,
        returns.asin,
        items.marketplace_id,
        returns.fulfillment_center_id,
        returns.detailed_disposition,
        returns.return_reason,
        returns.return_status,
        returns.customer_comments,
        items.currency_code,
        returns.quantity,
        items.unit_price,
        items.unit_price * returns.quantity as returned_value,
        returns.returned_at,
        {{ local_date('returns.returned_at', 'marketplaces.timezone') }} as return_date,
        greatest(returns.loaded_at, coalesce(items.loaded_at, returns.loaded_at)) as loaded_at

    from returns
    left join items
        on returns.seller_id = items.seller_id
        and returns.order_id = items.order_id
        and returns.seller_sku = items.seller_sku
    left join marketplaces
        on items.marketplace_id = marketplaces.marketplace_id

)

select * from final
