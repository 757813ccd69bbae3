with

source as (

    select * from {{ loaded_source('sp_api_finances', 'financial_event_amounts') }}

),

renamed as (

    select
        -- ids
        seller_id,
        event_id,
        line,
        amazon_order_id as order_id,
        order_item_id,
        order_adjustment_item_id,
        seller_sku,

        -- strings
        event_type,
        marketplace_name,
        amount_type,
        amount_description,
        currency_code,

        -- numerics
        quantity,
        {{ money_to_decimal('amount') }} as amount,

        -- booleans
        amount_type in ('Fee', 'FeeAdjustment') as is_fee,
        event_type = 'RefundEvent' and amount_type = 'ChargeAdjustment' as is_refunded_charge,

        -- timestamps
        {{ utc_timestamp('posted_date') }} as posted_at,
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
