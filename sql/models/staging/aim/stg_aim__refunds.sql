{% set loaded = loaded_columns(source('aim', 'refunds')) %}

with

source as (

    select * from {{ loaded_source('aim', 'refunds') }}

),

renamed as (

    select
        -- ids
        seller_id,
        order_id,
        payments_transaction_id,
        {{ column_or_null(loaded, 'marketplace_id') }} as marketplace_id,

        -- strings
        {{ column_or_null(loaded, 'reason') }} as refund_reason,
        {{ column_or_null(loaded, 'status') }} as refund_status,

        -- numerics
        {{ money_to_decimal('refund_amount') }} as refund_amount,

        -- timestamps
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
