with

source as (

    select * from {{ loaded_source('sp_api_reports', 'report_fba_inventory') }}

),

renamed as (

    select
        -- ids
        seller_id,
        marketplace_id,
        sku as seller_sku,
        fnsku,
        asin,

        -- strings
        product_name as title,
        condition as item_condition,

        -- numerics
        {{ money_to_decimal('your_price') }} as price,
        {{ dbt.safe_cast('afn_fulfillable_quantity', 'integer') }} as fulfillable_quantity,
        {{ dbt.safe_cast('afn_unsellable_quantity', 'integer') }} as unsellable_quantity,
        {{ dbt.safe_cast('afn_reserved_quantity', 'integer') }} as reserved_quantity,
        {{ dbt.safe_cast('afn_warehouse_quantity', 'integer') }} as warehouse_quantity,
        {{ dbt.safe_cast('afn_inbound_shipped_quantity', 'integer') }} as inbound_quantity,
        {{ dbt.safe_cast('afn_total_quantity', 'integer') }} as total_quantity,

        -- dates
        {{ dbt.safe_cast('snapshot_date', 'date') }} as snapshot_date,

        -- timestamps
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
