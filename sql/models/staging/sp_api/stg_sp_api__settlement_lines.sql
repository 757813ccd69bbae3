with

source as (

    select * from {{ loaded_source('sp_api_reports', 'settlement_lines') }}

),

renamed as (

    select
        -- ids
        seller_id,
        settlement_id,
        key_ordinal as line,
        order_id,
        adjustment_id,
        shipment_id,
        order_item_code as order_item_id,
        sku as seller_sku,

        -- strings
        transaction_type,
        marketplace_name,
        amount_type,
        amount_description,
        fulfillment_id,
        currency as currency_code,

        -- numerics
        {{ money_to_decimal('total_amount') }} as total_amount,
        {{ money_to_decimal('amount') }} as amount,
        {{ dbt.safe_cast('quantity_purchased', 'integer') }} as quantity,

        -- booleans
        -- the first row of a settlement file carries its totals and dates, nothing else
        (transaction_type is null and total_amount is not null) as is_summary,

        -- timestamps
        {{ utc_timestamp('settlement_start_date') }} as settlement_start_at,
        {{ utc_timestamp('settlement_end_date') }} as settlement_end_at,
        {{ utc_timestamp('deposit_date') }} as deposit_at,
        {{ utc_timestamp('posted_date_time') }} as posted_at,
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
