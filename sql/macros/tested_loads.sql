{# data tests check the rows loaded since the last build whose every node passed: a whole
   `dbt build` (no selection) records the newest completed load it started from, and promotes it
   to `tested_through` when it ends with nothing failed or skipped. A full refresh, a first
   build, or a build after a failed one checks every row since the last whole passing build #}

{% macro tested_loads_relation() -%}
    {{ return(api.Relation.create(database=target.database, schema=target.schema, identifier='dbt_tested_loads')) }}
{%- endmacro %}

{# only `dbt build` of every node moves the cursor: a selection leaves nodes untested #}
{% macro is_whole_build() -%}
    {%- set args = invocation_args_dict -%}
    {%- set excluded = args.get('exclude_resource_types') or [] -%}
    {{ return(flags.WHICH == 'build' and not args.get('select') and not args.get('exclude')
        and not args.get('selector') and not args.get('resource_types')
        and excluded | reject('equalto', 'unit_test') | list | length == 0) }}
{%- endmacro %}

{# the newest completed load of any source's schema (dlt's `_dlt_loads`), as staging's loaded_at #}
{% macro newest_load() -%}
    {%- set schemas = [] -%}
    {%- for node in graph.sources.values() -%}
        {%- set loads = adapter.get_relation(node.database, node.schema, '_dlt_loads') -%}
        {%- if loads is not none and loads | string not in schemas -%}
            {%- do schemas.append(loads | string) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if schemas -%}
        select {{ utc_timestamp('max(inserted_at)') }} from (
            {%- for loads in schemas %}
            select max(inserted_at) as inserted_at from {{ loads }} where status = 0
            {{- ' union all' if not loop.last }}
            {%- endfor %}
        ) as loads
    {%- else -%}
        select cast(null as {{ dbt.type_timestamp() }})
    {%- endif -%}
{%- endmacro %}

{# hooks: statements run in a transaction of their own and committed (dbt rolls back the
   hook's) #}
{% macro write_tested_loads(statements) -%}
    {%- for sql in statements -%}
        {%- call statement('tested_loads', auto_begin=True) -%}{{ sql }}{%- endcall -%}
    {%- endfor -%}
    {%- do adapter.commit() -%}
{%- endmacro %}

{% macro start_tested_loads() -%}
    {%- if execute and is_whole_build() -%}
        {%- set relation = tested_loads_relation() -%}
        {%- do write_tested_loads([
            'create table if not exists ' ~ relation ~ ' (building_through ' ~ dbt.type_timestamp()
                ~ ', tested_through ' ~ dbt.type_timestamp() ~ ')',
            'insert into ' ~ relation ~ ' select null, null where not exists (select 1 from ' ~ relation ~ ')',
            'update ' ~ relation ~ ' set building_through = (' ~ newest_load() ~ ')',
        ]) -%}
    {%- endif -%}
{%- endmacro %}

{% macro finish_tested_loads(results) -%}
    {%- set failed = results | map(attribute='status') | map('string') | select('in', ['error', 'fail', 'skipped']) | list -%}
    {%- if execute and is_whole_build() and not failed -%}
        {%- do write_tested_loads(['update ' ~ tested_loads_relation() ~ ' set tested_through = building_through']) -%}
    {%- endif -%}
{%- endmacro %}

{# the literal a test compares loaded_at with, or none: test every row (also offline, in
   `dbt compile --no-introspect`) #}
{% macro tested_since() -%}
    {%- if not execute or not flags.INTROSPECT or flags.FULL_REFRESH -%}{{ return(none) }}{%- endif -%}
    {%- set relation = tested_loads_relation() -%}
    {%- if adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set through = run_query('select tested_through from ' ~ relation).columns[0].values() -%}
    {%- if not through or through[0] is none -%}{{ return(none) }}{%- endif -%}
    {{ return("cast('" ~ through[0] ~ "' as " ~ dbt.type_timestamp() ~ ")") }}
{%- endmacro %}

{# `relation`'s rows loaded since the last passing build, for a test of single rows; none when the
   relation has no loaded_at (seeds) or every row is to be tested #}
{% macro changed_rows_filter(relation) -%}
    {%- set since = tested_since() -%}
    {%- if since is none or relation is string -%}{{ return(none) }}{%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {{ return('loaded_at > ' ~ since if 'loaded_at' in columns else none) }}
{%- endmacro %}

{# dbt's where config, and for the tests of single rows (not_null, accepted_values) the rows
   loaded since the last passing build; unique_combination scopes itself (a new row may repeat
   an old one) #}
{% macro default__get_where_subquery(relation) -%}
    {%- set filters = [config.get('where', '')] | select | list -%}
    {%- if model.test_metadata is defined and model.test_metadata.name in ['not_null', 'accepted_values'] -%}
        {%- set changed = changed_rows_filter(relation) -%}
        {%- if changed is not none -%}{%- do filters.append(changed) -%}{%- endif -%}
    {%- endif -%}
    {%- if filters -%}
        {{ return('(select * from ' ~ relation ~ ' where (' ~ filters | join(') and (') ~ ')) dbt_subquery') }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}
