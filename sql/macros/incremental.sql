{# incremental models: rebuild the partitions (the model's `unique_key`) that rows loaded since
   the last build touch, from all history; `loaded_at` is each row's newest load behind it #}

{# true for rows loaded after the model was last built; every row when the model was built by a
   version with other columns (no loaded_at, or not the columns its yml declares): rebuild it all #}
{% macro loaded_since_last_build(column='loaded_at') -%}
    {%- set built = loaded_columns(this) or [] -%}
    {%- set declared = model.columns.keys() | map('lower') | list -%}
    {%- set missing = declared | reject('in', built) | list -%}
    {%- set undeclared = built | reject('in', declared) | list if declared else [] -%}
    {%- if 'loaded_at' in built and not missing and not undeclared -%}
        {# a literal, not a subquery: the warehouse then pushes the filter down to the scans #}
        {%- set newest = run_query('select max(loaded_at) from ' ~ this).columns[0].values()[0] -%}
        {{ column }} > {% if newest is none %}{{ epoch() }}{% else %}cast('{{ newest }}' as {{ dbt.type_timestamp() }}){% endif %}
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{% macro epoch() -%}
    cast('1970-01-01 00:00:00' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{# the partitions (distinct `keys`) of `relation`'s rows loaded since the last build, or of
   which the condition `also` holds (none in a full build, which reads everything) #}
{% macro changed_partitions(relation, keys, column='loaded_at', also=none) -%}
    select distinct {{ keys | join(', ') }}
    from {{ relation }}
    where {% if incremental_build() %}{{ loaded_since_last_build(column) }}{% if also %} or {{ also }}{% endif %}{% else %}1 = 0{% endif %}
{%- endmacro %}

{# `alias`'s rows in the `changed` CTE's partitions; every row in a full build #}
{% macro changed_only(alias, keys, changed='changed') -%}
    {%- if incremental_build() -%}
    exists (
        select 1 from {{ changed }}
        where {% for key in keys %}{{ changed }}.{{ key }} = {{ alias }}.{{ key }}{{ ' and ' if not loop.last }}{% endfor %}
    )
    {%- else -%}
    1 = 1
    {%- endif -%}
{%- endmacro %}

{# true for a row of `alias` on a day (`keys`; named `columns` in `relation`) on which
   `relation` has a row loaded since this model was last built #}
{% macro on_changed_day(alias, relation, keys, columns=none) -%}
    {%- set columns = columns or keys -%}
    exists (
        select 1 from {{ relation }} as newer
        where {% for key in keys %}newer.{{ columns[loop.index0] }} = {{ alias }}.{{ key }} and {% endfor -%}
            {{ loaded_since_last_build('newer.loaded_at') }}
    )
{%- endmacro %}

{# a pre-hook: this model's rows on those days go, and the build makes the days again (its
   changed partitions take in every row of them) from what is left. An order's items go when a
   source without them wins it: the days they were sold on then change with no new item row,
   and may have no row left at all #}
{% macro drop_changed_days(relation, keys, columns=none) -%}
    {%- if incremental_build() -%}
    delete from {{ this }}
    where {{ on_changed_day(this, relation, keys, columns) }}
    {%- endif -%}
{%- endmacro %}

{# order_items' partitions can empty: the source that now wins an order may have no items of it
   (orders.item_lines = 0), and delete+insert replaces only the partitions it inserts into #}
{% macro drop_items_of_orders_without_items() -%}
    {%- if incremental_build() -%}
    delete from {{ this }}
    where exists (
        select 1 from {{ ref('orders') }} as orders
        where orders.seller_id = {{ this }}.seller_id
            and orders.order_id = {{ this }}.order_id
            and orders.item_lines = 0
    )
    {%- endif -%}
{%- endmacro %}

{# int_order_items_unioned keeps the items of the source that won each order: when another source
   wins an order, the items of the one that lost it go. A source wins an order by a row of it
   loaded since the model was last built (the model takes those orders' items again): a pre-hook
   reads that cursor before the build moves it, and looks at those orders only, not all history #}
{% macro drop_items_of_sources_that_lost() -%}
    {%- if incremental_build() -%}
    delete from {{ this }}
    where exists (
        select 1 from {{ ref('int_orders_unioned') }} as orders
        where orders.seller_id = {{ this }}.seller_id
            and orders.order_id = {{ this }}.order_id
            and orders.source_system <> {{ this }}.source_system
            and {{ loaded_since_last_build('orders.loaded_at') }}
    )
    {%- endif -%}
{%- endmacro %}

{# is_incremental(), but false in an offline compile (`--no-introspect`: no connection to ask) #}
{% macro incremental_build() -%}
    {{ return(flags.INTROSPECT and is_incremental()) }}
{%- endmacro %}

{# written `name as {{ inlined() }} (`: a CTE that `changed_partitions` reads and the build reads
   again. DuckDB and PostgreSQL materialize a CTE read twice, computing it whole; inlined, each
   read gets its filter (`loaded_at`, the changed partitions) pushed down to the scans #}
{% macro inlined() -%}
    {{ return(cte_hint('not materialized')) }}
{%- endmacro %}

{# written `changed as {{ materialized() }} (`: the few changed partitions, computed once. DuckDB
   then sees how few they are and builds its hash join on them, not on the history it filters #}
{% macro materialized() -%}
    {{ return(cte_hint('materialized')) }}
{%- endmacro %}

{# `hint` where the warehouse takes one after a CTE's `as` #}
{% macro cte_hint(hint) -%}
    {{ return(adapter.dispatch('cte_hint', 'amazon_elt')(hint)) }}
{%- endmacro %}

{% macro default__cte_hint(hint) -%}
{%- endmacro %}

{% macro duckdb__cte_hint(hint) -%}
    {{ hint }}
{%- endmacro %}

{% macro postgres__cte_hint(hint) -%}
    {{ hint }}
{%- endmacro %}
