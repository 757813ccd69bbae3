with

source as (

    select * from {{ loaded_source('sp_api', 'orders') }}

),

renamed as (

    select
        -- ids
        seller_id,
        order_id,
        marketplace_id,

        -- strings
        sales_channel__channel_name as sales_channel,
        sales_channel__marketplace_name as marketplace_name,
        fulfillment__fulfillment_status as order_status,
        fulfillment__fulfilled_by as fulfilled_by,
        fulfillment__fulfillment_service_level as service_level,
        proceeds__grand_total__currency_code as currency_code,
        source_api,

        -- numerics
        {{ money_to_decimal('proceeds__grand_total__amount') }} as order_total,

        -- booleans
        coalesce(programs like '%"PRIME"%', false) as is_prime,
        coalesce(fulfillment__fulfillment_status = 'CANCELLED', false) as is_cancelled,

        -- timestamps
        {{ utc_timestamp('created_time') }} as purchased_at,
        {{ utc_timestamp('last_updated_time') }} as last_updated_at,
        {{ utc_timestamp('fulfillment__ship_by_window__latest_date_time') }} as ship_by_at,
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
