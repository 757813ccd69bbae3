{% set loaded = loaded_columns(source('sp_api', 'catalog_items')) %}

with

source as (

    select * from {{ loaded_source('sp_api', 'catalog_items') }}

),

renamed as (

    select
        -- ids
        marketplace_id,
        asin,
        {{ json_value(
            column_or_null(loaded, 'relationships__relationships'), '$[0].parentAsins[0]'
        ) }} as parent_asin,
        {{ column_or_null(loaded, 'summaries__browse_classification__classification_id') }}
            as classification_id,

        -- strings
        {{ column_or_null(loaded, 'summaries__item_name') }} as item_name,
        {{ column_or_null(loaded, 'summaries__brand') }} as brand,
        {{ column_or_null(loaded, 'summaries__manufacturer') }} as manufacturer,
        {{ column_or_null(loaded, 'summaries__color') }} as color,
        {{ column_or_null(loaded, 'summaries__size') }} as size,
        {{ column_or_null(loaded, 'summaries__item_classification') }} as item_classification,
        {{ column_or_null(loaded, 'summaries__browse_classification__display_name') }}
            as classification_name,
        {{ column_or_null(loaded, 'product_types__product_type') }} as product_type,

        -- numerics
        cast({{ json_value(
            column_or_null(loaded, 'sales_ranks__classification_ranks'), '$[0].rank'
        ) }} as bigint) as sales_rank,
        cast({{ json_value(
            column_or_null(loaded, 'sales_ranks__display_group_ranks'), '$[0].rank'
        ) }} as bigint) as display_group_rank,

        -- timestamps
        refreshed_at,
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
