-- every version of every listing in every marketplace: a change of price, quantity, status or
-- anything else loaded starts a version, valid until the next one (or current)
with

versions as (

    select * from {{ ref('stg_sp_api__listings_items') }}

),

final as (

    select
        seller_id,
        marketplace_id,
        sku,
        asin,
        fnsku,
        item_name,
        listing_status,
        is_buyable,
        currency_code,
        price,
        quantity,
        fulfillment_channels,
        issue_count,
        last_updated_at,
        valid_from,
        valid_to,
        is_current,
        row_number() over (
            partition by seller_id, marketplace_id, sku order by valid_from
        ) as version_number

    from versions

)

select * from final
