with

source as (

    select * from {{ optional_source('sp_api_reports', 'report_fba_inventory') }}

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
        try_cast(afn_fulfillable_quantity as integer) as fulfillable_quantity,
        try_cast(afn_unsellable_quantity as integer) as unsellable_quantity,
        try_cast(afn_reserved_quantity as integer) as reserved_quantity,
        try_cast(afn_warehouse_quantity as integer) as warehouse_quantity,
        try_cast(afn_inbound_shipped_quantity as integer) as inbound_quantity,
        try_cast(afn_total_quantity as integer) as total_quantity,

        -- dates
        try_cast(snapshot_date as date) as snapshot_date

    from source

)

select * from renamed
