-- Data Kiosk's sales and traffic, one row per marketplace day
with

source as (

    select * from {{ loaded_source('sp_api', 'sales_and_traffic') }}

),

renamed as (

    select
        -- ids
        seller_id,
        marketplace_id,

        -- strings
        sales__ordered_product_sales__currency_code as currency_code,

        -- numerics
        cast(sales__ordered_product_sales__amount as decimal(18, 4)) as ordered_product_sales,
        sales__units_ordered as units_ordered,
        sales__total_order_items as order_items,
        sales__units_shipped as units_shipped,
        sales__orders_shipped as orders_shipped,
        sales__units_refunded as units_refunded,
        traffic__sessions as sessions,
        traffic__page_views as page_views,
        traffic__buy_box_percentage as buy_box_percentage,
        traffic__unit_session_percentage as unit_session_percentage,

        -- dates
        cast(start_date as date) as sales_date,

        -- timestamps
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
