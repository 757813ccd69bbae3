with

source as (

    select * from {{ loaded_source('mws', 'reports') }}

),

renamed as (

    select
        -- ids
        seller_id,
        report_id,
        report_request_id,

        -- strings
        report_type,

        -- booleans
        coalesce(acknowledged = 'true', false) as is_acknowledged,

        -- timestamps
        {{ utc_timestamp('available_date') }} as available_at,
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
