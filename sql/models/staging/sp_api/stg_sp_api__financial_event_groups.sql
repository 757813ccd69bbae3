with

source as (

    select * from {{ loaded_source('sp_api_finances', 'financial_event_groups') }}

),

renamed as (

    select
        -- ids
        seller_id,
        financial_event_group_id,

        -- strings
        processing_status,
        fund_transfer_status,
        original_total__currency_code as currency_code,

        -- numerics
        cast(original_total__currency_amount as decimal(18, 4)) as original_total,

        -- booleans
        coalesce(processing_status = 'Closed', false) as is_closed,

        -- timestamps
        {{ utc_timestamp('financial_event_group_start') }} as started_at,
        {{ utc_timestamp('financial_event_group_end') }} as ended_at,
        {{ utc_timestamp('fund_transfer_date') }} as fund_transfer_at,
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
