{# what an incremental build runs (`dbt run-operation build_selection`, for
   pipelines/dbt_selection.py), logged as one JSON line since an operation returns nothing:
   `tested_through` (the last passing build's cursor, macros/tested_loads.sql), `through` (the
   newest completed load), `sources` (the sources that the loads completed in between put rows
   in, or that changed in place) and `missing` (models and seeds without a relation). When those
   loads put rows in no source, the cursor moves past them here: no build would read them #}
{% macro build_selection() -%}
    {%- set found = {'tested_through': none, 'through': none, 'sources': [], 'missing': []} -%}
    {%- set since = tested_through() -%}
    {%- set loads = loads_relations() -%}
    {%- if since is not none and loads -%}
        {%- set cursor = "cast('" ~ since ~ "' as " ~ dbt.type_timestamp() ~ ")" -%}
        {%- set newest = run_query(newest_loads(loads, cursor)) -%}
        {%- set fresh = newest.rows | selectattr(2) | map(attribute=0) | list -%}
        {%- set times = newest.columns[1].values() | reject('none') | list -%}
        {%- do found.update({
            'tested_through': since | string,
            'through': (times | max | string) if times else none,
            'sources': loaded_sources(loads, fresh, cursor),
        }) -%}
        {%- if fresh and not found.sources -%}
            {%- do write_tested_loads(['update ' ~ tested_loads_relation() ~ " set tested_through = cast('"
                ~ found.through ~ "' as " ~ dbt.type_timestamp() ~ ')']) -%}
        {%- endif -%}
    {%- endif -%}
    {%- for node in graph.nodes.values()
        if node.resource_type in ['model', 'seed', 'snapshot'] and node.config.materialized != 'ephemeral'
        and adapter.get_relation(node.database, node.schema, node.alias) is none -%}
        {%- do found.missing.append(node.unique_id) -%}
    {%- endfor -%}
    {%- do log(tojson(found), info=True) -%}
{%- endmacro %}

{# per schema: its newest completed load, and whether a load completed after `cursor` #}
{% macro newest_loads(loads, cursor) -%}
    {%- for schema, relation in loads.items() %}
    select '{{ schema }}' as schema_name, max({{ utc_timestamp('inserted_at') }}) as newest,
        max(case when {{ utc_timestamp('inserted_at') }} > {{ cursor }} then 1 else 0 end) as fresh
    from {{ relation }} where status = 0
    {{- ' union all' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{# the sources of the `fresh` schemas with a row of a load completed after `cursor` (the first
   row found ends a table's scan), and those declaring dlt's `_dlt_valid_to`: scd2 closes a
   version in place, without a new load id #}
{% macro loaded_sources(loads, fresh, cursor) -%}
    {%- set changed = [] -%}
    {%- set checks = [] -%}
    {%- for node in graph.sources.values() if node.schema in fresh -%}
        {%- set relation = adapter.get_relation(node.database, node.schema, node.identifier) -%}
        {%- if relation is not none and '_dlt_valid_to' in node.columns -%}
            {%- do changed.append(node.unique_id) -%}
        {%- elif relation is not none -%}
            {%- do checks.append(
                "(select '" ~ node.unique_id ~ "' as source_id from " ~ relation
                ~ ' where _dlt_load_id in (select load_id from ' ~ loads[node.schema]
                ~ ' where status = 0 and ' ~ utc_timestamp('inserted_at') ~ ' > ' ~ cursor ~ ') limit 1)') -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if checks -%}
        {%- do changed.extend(run_query(checks | join(' union all ')).columns[0].values()) -%}
    {%- endif -%}
    {{ return(changed | sort) }}
{%- endmacro %}
