{# a column that exists only when the API sent it (it depends on `includedData`), else a typed
   null. A name longer than the warehouse allows (PostgreSQL: 63 characters) dlt shortened to
   its head, a six-character tag and its tail: such a column is found by those.
   `dbt compile --no-introspect` (no connection) takes every column as loaded #}
{% macro column_or_null(relation, column, type='varchar') -%}
    {%- if execute and flags.INTROSPECT -%}
        {%- set loaded = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {%- else -%}
        {%- set loaded = [column] -%}
    {%- endif -%}
    {%- for name in loaded -%}
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
