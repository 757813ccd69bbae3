with

source as (

    select * from {{ optional_source('sp_api_finances', 'financial_transactions') }}

),

identifiers as (

    select
        *,
        from_json(
            related_identifiers,
            '[{"relatedIdentifierName": "VARCHAR", "relatedIdentifierValue": "VARCHAR"}]'
        ) as identifier_list
    from source

),

renamed as (

    select
        -- ids
        seller_id,
        transaction_id,
        marketplace_details__marketplace_id as marketplace_id,
        list_filter(identifier_list, lambda i: i.relatedIdentifierName = 'ORDER_ID')[1]
            .relatedIdentifierValue as order_id,
        list_filter(
            identifier_list, lambda i: i.relatedIdentifierName = 'FINANCIAL_EVENT_GROUP_ID'
        )[1]
            .relatedIdentifierValue as financial_event_group_id,

        -- strings
        transaction_type,
        transaction_status,
        description,
        total_amount__currency_code as currency_code,

        -- numerics
        cast(total_amount__currency_amount as decimal(18, 4)) as total_amount,

        -- timestamps
        {{ utc_timestamp('posted_date') }} as posted_at

    from identifiers

)

select * from renamed
