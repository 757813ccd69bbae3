{# a raw source table, or an empty relation when it was never loaded: a user may load only some
   sources or resources (`--sources sp_api`, `report_types = []`), and dbt build must still pass
   on what is there. The empty relation has `columns` (a list of names, typed varchar, or a
   mapping of name to type), else the columns the source's yml declares with their data_type,
   and dlt's `_dlt_load_id` (loaded_source joins it).
   `dbt compile --no-introspect` (no connection) takes every table as loaded #}
{% macro optional_source(source_name, table_name, columns=none) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if execute and flags.INTROSPECT and adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
        {%- set typed = {} -%}
        {%- if columns is none -%}
            {%- set node = graph.sources.values() | selectattr('source_name', 'equalto', source_name)
                | selectattr('name', 'equalto', table_name) | first -%}
            {%- for column in node.columns.values() -%}
                {%- do typed.update({column.name: column.data_type}) -%}
            {%- endfor -%}
        {%- else -%}
            {%- for column in columns -%}
                {%- do typed.update({column: columns[column] if columns is mapping else 'varchar'}) -%}
            {%- endfor -%}
        {%- endif -%}
        {%- if '_dlt_load_id' not in typed -%}
            {%- do typed.update({'_dlt_load_id': 'varchar'}) -%}
        {%- endif -%}
        (select {% for name, type in typed.items() %}cast(null as {{ column_type(type) }}) as {{ name }}{{ ", " if not loop.last }}{% endfor %} limit 0)
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}
