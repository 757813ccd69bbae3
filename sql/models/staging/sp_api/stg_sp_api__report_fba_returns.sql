with

source as (

    select * from {{ loaded_source('sp_api_reports', 'report_fba_returns') }}

),

renamed as (

    select
        -- ids
        seller_id,
        order_id,
        sku as seller_sku,
        asin,
        fnsku,
        license_plate_number,
        key_ordinal as return_line,

        -- strings
        product_name as title,
        fulfillment_center_id,
        detailed_disposition,
        reason as return_reason,
        status as return_status,
        customer_comments,

        -- numerics
        {{ dbt.safe_cast('quantity', 'integer') }} as quantity,

        -- timestamps
        {{ utc_timestamp('return_date') }} as returned_at,
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
