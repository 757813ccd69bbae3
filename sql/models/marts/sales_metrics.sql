-- the Sales API's order metrics per marketplace day, with Data Kiosk's traffic for the day
with

metrics as (

    select * from {{ ref('stg_sp_api__order_metrics') }}

),

traffic as (

    select * from {{ ref('stg_sp_api__sales_and_traffic') }}

),

final as (

    select
        metrics.seller_id,
        metrics.marketplace_id,
        metrics.metrics_date,
        metrics.currency_code,
        metrics.order_count,
        metrics.order_item_count,
        metrics.unit_count,
        metrics.total_sales,
        metrics.average_unit_price,
        traffic.sessions,
        traffic.page_views,
        traffic.buy_box_percentage,
        traffic.unit_session_percentage,
        case
            when traffic.sessions > 0
                then cast(metrics.unit_count as {{ dbt.type_float() }}) / traffic.sessions
        end as units_per_session

    from metrics
    left join traffic
        on metrics.seller_id = traffic.seller_id
        and metrics.marketplace_id = traffic.marketplace_id
        and metrics.metrics_date = traffic.sales_date

)

select * from final
