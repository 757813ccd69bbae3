{# the lower-case names of `relation`'s columns (a model asks once for all its column_or_null
   calls); none in `dbt compile --no-introspect` (no connection), where column_or_null takes
   every column as loaded #}
{% macro loaded_columns(relation) -%}
    {%- if execute and flags.INTROSPECT -%}
        {{ return(adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{# a column that exists only when the API sent it (it depends on `includedData`), else a typed
   null; `loaded` is loaded_columns() of its relation. A name longer than the warehouse allows
   (PostgreSQL: 63 characters) dlt shortened to its head, a six-character tag and its tail: such
   a column is found by those #}
{% macro column_or_null(loaded, column, type='varchar') -%}
    {%- for name in (loaded if loaded is not none else [column]) -%}
        {%- set tail = (name | length - 6) // 2 -%}
        {%- set head = name | length - 6 - tail -%}
        {%- set shortened = name | length < column | length and tail > 0
            and name[:head] == column[:head] and name[-tail:] == column[-tail:] -%}
        {%- if name == column or shortened -%}
            {{ return(name) }}
        {%- endif -%}
    {%- endfor -%}
    cast(null as {{ column_type(type) }})
{%- endmacro %}
