with

source as (

    select * from {{ loaded_source('amzpecty', 'amzpecty_requests', {
        'rid': 'varchar', 'queue': 'varchar', 'query': 'varchar', 'domain': 'varchar',
        'status': 'varchar', 'received_via': 'varchar', 'requested_at': 'varchar',
        'completed_at': 'varchar'}) }}

),

renamed as (

    select
        -- ids
        rid,
        query as query_key,

        -- strings
        queue,
        domain,
        status,
        received_via,

        -- timestamps
        {{ utc_timestamp('requested_at') }} as requested_at,
        {{ utc_timestamp('completed_at') }} as completed_at,
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
