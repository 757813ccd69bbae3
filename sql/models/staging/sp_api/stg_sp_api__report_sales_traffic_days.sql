with

source as (

    select * from {{ loaded_source('sp_api_reports', 'report_sales_traffic_by_date') }}

),

renamed as (

    select
        -- ids
        seller_id,
        marketplace_id,

        -- strings
        sales_by_date__ordered_product_sales__currency_code as currency_code,

        -- numerics
        cast(sales_by_date__ordered_product_sales__amount as decimal(18, 4))
            as ordered_product_sales,
        cast(sales_by_date__shipped_product_sales__amount as decimal(18, 4))
            as shipped_product_sales,
        sales_by_date__units_ordered as units_ordered,
        sales_by_date__total_order_items as order_items,
        sales_by_date__units_refunded as units_refunded,
        sales_by_date__units_shipped as units_shipped,
        sales_by_date__orders_shipped as orders_shipped,
        traffic_by_date__sessions as sessions,
        traffic_by_date__page_views as page_views,
        traffic_by_date__buy_box_percentage as buy_box_percentage,

        -- dates
        {{ dbt.safe_cast('date', 'date') }} as sales_date,

        -- timestamps
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
