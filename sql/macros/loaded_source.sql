{# a raw table (optional_source) with the time its load completed (`_dlt_loaded_at`, UTC, from
   dlt's `_dlt_loads` in the same schema): rows of a load still in progress are left out, so marts
   show completed loads only, and incremental marts find what changed since they were built. The
   time is converted per load, not per row: a filter on it then reaches the few loads, and the
   join takes only their rows from the raw table #}
{% macro loaded_source(source_name, table_name, columns=none) -%}
    {%- set raw = source(source_name, table_name) -%}
    {%- set loads = api.Relation.create(database=raw.database, schema=raw.schema, identifier='_dlt_loads') -%}
    {%- if execute and flags.INTROSPECT and adapter.get_relation(loads.database, loads.schema, loads.identifier) is none -%}
        {%- set loads = '(select cast(null as ' ~ dbt.type_string() ~ ') as load_id, 0 as status, cast(null as '
            ~ type_timestamp_tz() ~ ') as inserted_at limit 0)' -%}
    {%- endif -%}
    (
        select raw.*, loads._dlt_loaded_at
        from {{ optional_source(source_name, table_name, columns) }} as raw
        inner join (
            select load_id, {{ utc_timestamp('inserted_at') }} as _dlt_loaded_at
            from {{ loads }} as completed
            where status = 0
        ) as loads
            on raw._dlt_load_id = loads.load_id
    )
{%- endmacro %}
