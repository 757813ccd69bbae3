-- the Sales API's order metrics, one row per marketplace day
with

source as (

    select * from {{ loaded_source('sp_api', 'order_metrics') }}

),

renamed as (

    select
        -- ids
        seller_id,
        marketplace_id,

        -- strings
        total_sales__currency_code as currency_code,

        -- numerics
        order_count,
        order_item_count,
        unit_count,
        {{ money_to_decimal('total_sales__amount') }} as total_sales,
        {{ money_to_decimal('average_unit_price__amount') }} as average_unit_price,

        -- dates
        cast(day as date) as metrics_date,

        -- timestamps
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
