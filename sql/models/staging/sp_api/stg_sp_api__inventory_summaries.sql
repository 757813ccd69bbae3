-- one row per FBA inventory summary as of each change the API reported
{% set loaded = loaded_columns(source('sp_api', 'inventory_summaries')) %}

with

source as (

    select * from {{ loaded_source('sp_api', 'inventory_summaries') }}

),

renamed as (

    select
        -- ids
        seller_id,
        marketplace_id,
        seller_sku as sku,
        asin,
        fn_sku as fnsku,

        -- strings
        product_name,
        condition as item_condition,

        -- numerics
        inventory_details__fulfillable_quantity as fulfillable_quantity,
        inventory_details__inbound_working_quantity as inbound_working_quantity,
        inventory_details__inbound_shipped_quantity as inbound_shipped_quantity,
        inventory_details__inbound_receiving_quantity as inbound_receiving_quantity,
        inventory_details__reserved_quantity__total_reserved_quantity as reserved_quantity,
        {{ column_or_null(
            loaded, 'inventory_details__unfulfillable_quantity__total_unfulfillable_quantity', 'bigint'
        ) }} as unfulfillable_quantity,
        {{ column_or_null(
            loaded, 'inventory_details__researching_quantity__total_researching_quantity', 'bigint'
        ) }} as researching_quantity,
        total_quantity,

        -- timestamps
        {{ utc_timestamp('last_updated_time') }} as last_updated_at,
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
