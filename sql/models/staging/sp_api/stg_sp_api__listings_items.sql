-- one row per version of a listing in a marketplace (dlt's scd2 validity columns)
with

source as (

    select * from {{ loaded_source('sp_api', 'listings_items') }}

),

renamed as (

    select
        -- ids
        seller_id,
        marketplace_id,
        sku,
        asin,
        {{ column_or_null(loaded_columns(source('sp_api', 'listings_items')), 'fn_sku') }} as fnsku,

        -- strings
        item_name,
        product_type,
        condition_type,
        {{ json_array_text('status') }} as listing_status,
        price__currency_code as currency_code,
        {{ json_array_text('fulfillment_channels') }} as fulfillment_channels,

        -- numerics
        {{ money_to_decimal('price__amount') }} as price,
        quantity,
        cast({{ json_array_length('issues') }} as bigint) as issue_count,

        -- booleans
        coalesce(status like '%"BUYABLE"%', false) as is_buyable,
        _dlt_valid_to is null as is_current,

        -- timestamps
        {{ utc_timestamp('created_date') }} as created_at,
        {{ utc_timestamp('last_updated_date') }} as last_updated_at,
        {{ utc_timestamp('_dlt_valid_from') }} as valid_from,
        {{ utc_timestamp('_dlt_valid_to') }} as valid_to,
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
