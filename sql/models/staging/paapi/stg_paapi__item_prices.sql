-- ECS observations: lowest new price and sales rank of an ASIN in a marketplace at a moment;
-- ready to extend asin_price_history next to Amzpecty's snapshots
with

source as (

    select * from {{ loaded_source('paapi', 'items', {
        'asin': 'varchar', 'marketplace_id': 'varchar', 'currency_code': 'varchar',
        'title': 'varchar', 'lowest_new_price_minor': 'bigint', 'sales_rank': 'bigint',
        'observed_at': 'varchar'}) }}

),

renamed as (

    select
        -- ids
        asin,
        marketplace_id,

        -- strings
        currency_code,
        title,
        'paapi' as source_system,

        -- numerics
        -- ECS amounts are in minor units (895 = EUR 8.95); yen have none
        cast(
            cast(lowest_new_price_minor as decimal(18, 4))
                / case when currency_code = 'JPY' then 1 else 100 end
            as decimal(18, 4)
        ) as price,
        sales_rank,

        -- timestamps
        {{ utc_timestamp('observed_at') }} as observed_at,
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
