with

source as (

    select * from {{ loaded_source('sp_api_reports', 'report_listings') }}

),

renamed as (

    select
        -- ids
        seller_id,
        marketplace_id,
        seller_sku,
        asin1 as asin,
        listing_id,

        -- strings
        item_name as title,
        fulfillment_channel,
        status as listing_status,
        -- local time with a zone abbreviation ("2025-03-05 10:11:12 PST"), kept as written
        open_date as opened_at_local,

        -- numerics
        {{ money_to_decimal('price') }} as price,
        {{ dbt.safe_cast('quantity', 'integer') }} as quantity,

        -- booleans
        coalesce(status = 'Active', false) as is_active,

        -- dates
        {{ dbt.safe_cast('snapshot_date', 'date') }} as snapshot_date,

        -- timestamps
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
