{% set loaded = loaded_columns(source('aim', 'batch_quickfix')) %}

with

source as (

    select * from {{ loaded_source('aim', 'batch_quickfix') }}

),

renamed as (

    select
        -- ids
        seller_id,
        batch_id,
        original_record_number as record_number,
        sku as seller_sku,

        -- numerics (blank in a quick-fix file until the seller fills them in)
        {{ money_to_decimal(column_or_null(loaded, 'price')) }} as price,
        {{ dbt.safe_cast(column_or_null(loaded, 'quantity'), 'integer') }} as quantity,

        -- timestamps
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
