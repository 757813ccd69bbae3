{# a column that exists only when the API sent it (it depends on `includedData`), else a typed null #}
{% macro column_or_null(relation, column, type='varchar') -%}
    {%- if execute and column in (adapter.get_columns_in_relation(relation) | map(attribute='name') | list) -%}
        {{ column }}
    {%- else -%}
        cast(null as {{ type }})
    {%- endif -%}
{%- endmacro %}
