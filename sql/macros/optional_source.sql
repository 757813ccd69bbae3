{# a raw source table, or an empty relation with `columns` when it was never loaded: a user may
   load only some sources (`--sources sp_api`; the legacy archives are opt-in), and dbt build
   must still pass on what is there. `columns` is a list of names (typed varchar) or a mapping
   of name to type #}
{% macro optional_source(source_name, table_name, columns) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if execute and adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
        {%- set typed = {} -%}
        {%- for column in columns -%}
            {%- do typed.update({column: columns[column] if columns is mapping else 'varchar'}) -%}
        {%- endfor -%}
        (select {% for name, type in typed.items() %}cast(null as {{ type }}) as {{ name }}{{ ", " if not loop.last }}{% endfor %} where false)
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}
