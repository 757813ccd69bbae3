with

source as (

    select * from {{ loaded_source('sp_api_finances', 'financial_transactions') }}

),

renamed as (

    select
        -- ids
        seller_id,
        transaction_id,
        marketplace_details__marketplace_id as marketplace_id,
        {{ json_array_lookup(
            'related_identifiers', 'relatedIdentifierName', 'ORDER_ID', 'relatedIdentifierValue'
        ) }} as order_id,
        {{ json_array_lookup(
            'related_identifiers',
            'relatedIdentifierName',
            'FINANCIAL_EVENT_GROUP_ID',
            'relatedIdentifierValue'
        ) }} as financial_event_group_id,

        -- strings
        transaction_type,
        transaction_status,
        description,
        total_amount__currency_code as currency_code,

        -- numerics
        cast(total_amount__currency_amount as decimal(18, 4)) as total_amount,

        -- timestamps
        {{ utc_timestamp('posted_date') }} as posted_at,
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
