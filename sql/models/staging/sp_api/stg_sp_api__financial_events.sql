with

source as (

    select * from {{ loaded_source('sp_api_finances', 'financial_events') }}

),

renamed as (

    select
        -- ids
        seller_id,
        event_id,
        amazon_order_id as order_id,

        -- strings
        event_type,
        marketplace_name,

        -- timestamps
        {{ utc_timestamp('posted_date') }} as posted_at,
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
