with

source as (

    select * from {{ loaded_source('mws', 'orders', [
        'seller_id', 'amazon_order_id', 'marketplace_id', 'order_status', 'fulfillment_channel',
        'shipment_service_level_category', 'sales_channel', 'order_total__currency_code',
        'order_total__amount', 'is_prime', 'purchase_date', 'last_update_date',
    ]) }}

),

renamed as (

    select
        -- ids
        seller_id,
        amazon_order_id as order_id,
        marketplace_id,

        -- strings
        case order_status
            when 'Canceled' then 'CANCELLED'
            when 'PartiallyShipped' then 'PARTIALLY_SHIPPED'
            when 'PendingAvailability' then 'PENDING_AVAILABILITY'
            else upper(order_status)
        end as order_status,
        case fulfillment_channel when 'AFN' then 'AMAZON' when 'MFN' then 'MERCHANT' end
            as fulfilled_by,
        upper(shipment_service_level_category) as service_level,
        sales_channel,
        order_total__currency_code as currency_code,

        -- numerics
        {{ money_to_decimal('order_total__amount') }} as order_total,

        -- booleans
        coalesce(is_prime = 'true', false) as is_prime,
        coalesce(order_status = 'Canceled', false) as is_cancelled,

        -- timestamps
        {{ utc_timestamp('purchase_date') }} as purchased_at,
        {{ utc_timestamp('last_update_date') }} as last_updated_at,
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
