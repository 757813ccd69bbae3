with

source as (

    select * from {{ loaded_source('amzpecty', 'asin_snapshots', {
        'rid': 'varchar', 'asin': 'varchar', 'query_asin': 'varchar', 'parent_asin': 'varchar',
        'domain': 'varchar', 'brand': 'varchar', 'item_name': 'varchar', 'condition': 'varchar',
        'currency': 'varchar', 'buybox_seller_name': 'varchar', 'received_via': 'varchar',
        'sales_rank': 'bigint', 'total_qty': 'bigint', 'buybox_price': 'varchar',
        'processed_at': 'varchar', 'received_at': 'varchar'}) }}

),

renamed as (

    select
        -- ids
        rid,
        asin,
        query_asin,
        parent_asin,

        -- strings
        domain,
        brand,
        item_name,
        condition as item_condition,
        currency as currency_code,
        buybox_seller_name,
        received_via,

        -- numerics
        sales_rank,
        total_qty as total_quantity,
        {{ money_to_decimal('buybox_price') }} as buybox_price,

        -- timestamps
        {{ utc_timestamp('processed_at') }} as snapshot_at,
        {{ utc_timestamp('received_at') }} as received_at,
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
