{# a raw source table, or an empty relation with `columns` when it was never loaded: a user may
   load only some sources (the legacy archives are opt-in, an account may lack a role), and
   dbt build must still pass on what is there #}
{% macro optional_source(source_name, table_name, columns) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if execute and adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
        (select {% for column in columns %}cast(null as varchar) as {{ column }}{% if not loop.last %}, {% endif %}{% endfor %} where false)
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}
