-- the mart's totals equal the items of every source's orders that were not cancelled
with

mart as (

    select sum(gross_sales) as gross_sales, sum(units) as units from {{ ref('daily_sales') }}

),

staged as (

    select sum(items.item_subtotal) as gross_sales, sum(items.quantity_ordered) as units
    from {{ ref('int_order_items_unioned') }} as items
    inner join {{ ref('int_orders_unioned') }} as orders
        on items.seller_id = orders.seller_id
        and items.order_id = orders.order_id
    where not orders.is_cancelled

)

select mart.*, staged.gross_sales as staged_gross_sales, staged.units as staged_units
from mart
cross join staged
where mart.gross_sales is distinct from staged.gross_sales
   or mart.units is distinct from staged.units
