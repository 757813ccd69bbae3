-- every version of every listing in every marketplace: a change of price, quantity, status or
-- anything else loaded starts a version, valid until the next one (or current). A listing is
-- rebuilt whenever a version of it is loaded, or its current version was retired since (dlt
-- closes a version in place, without a new load id)
{{ config(materialized='incremental', unique_key=['seller_id', 'marketplace_id', 'sku']) }}

{%- set listing = ['seller_id', 'marketplace_id', 'sku'] %}

with

staged as {{ inlined() }} (

    select * from {{ ref('stg_sp_api__listings_items') }}

),

changed as {{ materialized() }} (

    {{ changed_partitions('staged', listing) }}
    {%- if incremental_build() %}
    union
    select built.seller_id, built.marketplace_id, built.sku
    from {{ this }} as built
    inner join staged
        on built.seller_id = staged.seller_id
        and built.marketplace_id = staged.marketplace_id
        and built.sku = staged.sku
        and built.valid_from = staged.valid_from
    where built.is_current and not staged.is_current
    {%- endif %}

),

versions as (

    select * from staged
    where {{ changed_only('staged', listing) }}

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
        ) as version_number,
        max(loaded_at) over (partition by seller_id, marketplace_id, sku) as loaded_at

    from versions

)

select * from final
