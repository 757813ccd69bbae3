with

source as (

    select * from {{ loaded_source('sp_api', 'marketplace_participations') }}

),

renamed as (

    select
        -- ids
        seller_id,
        marketplace_id,

        -- strings
        marketplace__name as marketplace_name,
        marketplace__country_code as country_code,
        marketplace__default_currency_code as currency_code,
        marketplace__default_language_code as language_code,
        marketplace__domain_name as domain_name,
        store_name,

        -- booleans
        participation__is_participating as is_participating,
        participation__has_suspended_listings as has_suspended_listings,

        -- timestamps
        _dlt_loaded_at as loaded_at

    from source

)

select * from renamed
