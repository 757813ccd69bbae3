-- ordered product sales per seller, marketplace, local day and currency; cancelled orders excluded
with

items as (

    select * from {{ ref('order_items') }}
    where not is_cancelled

),

final as (

    select
        seller_id,
        marketplace_id,
        order_date,
        currency_code,
        count(distinct order_id) as orders,
        cast(sum(quantity_ordered) as bigint) as units,
        sum(item_subtotal) as gross_sales

    from items
    group by seller_id, marketplace_id, order_date, currency_code

)

select * from final
