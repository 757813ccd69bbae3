with

source as (

    select * from {{ loaded_source('amzpecty', 'product_variations', {
        'rid': 'varchar', 'parent_asin': 'varchar', 'asin': 'varchar', 'option1': 'varchar',
        'option1_value': 'varchar', 'option2': 'varchar', 'option2_value': 'varchar',
        'bb_seller_name': 'varchar', 'total_variations': 'bigint', 'sales_rank': 'bigint',
        'buybox_price': 'varchar', 'processed_at': 'varchar'}) }}

),

renamed as (

    select
        -- ids
        rid,
        parent_asin,
        asin,

        -- strings
        option1 as option1_name,
        option1_value,
        option2 as option2_name,
        option2_value,
        bb_seller_name as buybox_seller_name,

        -- numerics
        total_variations,
        sales_rank,
        {{ money_to_decimal('buybox_price') }} as buybox_price,

        -- timestamps
        {{ utc_timestamp('processed_at') }} as snapshot_at,
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
