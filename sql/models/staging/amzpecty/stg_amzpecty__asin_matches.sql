with

source as (

    select * from {{ loaded_source('amzpecty', 'asin_matches', {
        'rid': 'varchar', 'product_id': 'varchar', 'asin': 'varchar', 'item_name': 'varchar',
        'link': 'varchar', 'image_url': 'varchar', 'total_match': 'bigint',
        'processed_at': 'varchar'}) }}

),

renamed as (

    select
        -- ids
        rid,
        product_id,
        asin,

        -- strings
        item_name,
        link as product_url,
        image_url,

        -- numerics
        total_match,

        -- timestamps
        {{ utc_timestamp('processed_at') }} as matched_at,
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
