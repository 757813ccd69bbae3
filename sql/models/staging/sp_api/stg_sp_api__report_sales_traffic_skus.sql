with

source as (

    select * from {{ loaded_source('sp_api_reports', 'report_sales_traffic_by_asin') }}

),

renamed as (

    select
        -- ids
        seller_id,
        marketplace_id,
        nullif(sku, '') as seller_sku,
        nullif(parent_asin, '') as parent_asin,
        nullif(child_asin, '') as child_asin,

        -- strings
        sales_by_asin__ordered_product_sales__currency_code as currency_code,

        -- numerics
        cast(sales_by_asin__ordered_product_sales__amount as decimal(18, 4))
            as ordered_product_sales,
        sales_by_asin__units_ordered as units_ordered,
        sales_by_asin__total_order_items as order_items,
        traffic_by_asin__sessions as sessions,
        traffic_by_asin__page_views as page_views,
        traffic_by_asin__buy_box_percentage as buy_box_percentage,

        -- dates (a report covers one day: its dataStartTime's)
        cast(left(data_start_time, 10) as date) as sales_date,

        -- timestamps
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
