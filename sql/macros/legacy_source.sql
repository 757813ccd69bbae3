{# a legacy source table, or an empty relation with `columns` when that source was never loaded
   (the legacy archives are opt-in, so a warehouse may have no mws, aim or paapi schema) #}
{% macro legacy_source(source_name, table_name, columns) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if execute and adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
        (select {% for column in columns %}cast(null as varchar) as {{ column }}{% if not loop.last %}, {% endif %}{% endfor %} where false)
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}
