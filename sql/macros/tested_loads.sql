{# data tests check the rows loaded since the last build that passed: a build that covers every
   load up to a time records it as it starts, and promotes it to `tested_through` when it ends
   with nothing failed or skipped. Two kinds of build cover every load: a whole `dbt build` (no
   selection), up to the newest completed load it starts from, and transform.build's selection
   (pipelines/dbt_selection.py), up to the newest completed load it found (var
   `selection_through`): it selects every node downstream of a source that loads since
   `tested_through` put rows in, so the tests it leaves out belong to models with no row loaded
   since, and their tests would check nothing. Loads that put rows in no source are tested
   through when the selection finds them (`build_selection`). A full refresh, a first build, or
   a build after a failed one checks every row since the last passing build #}

{% macro tested_loads_relation() -%}
    {{ return(api.Relation.create(database=target.database, schema=target.schema, identifier='dbt_tested_loads')) }}
{%- endmacro %}

{# a `dbt build` of every node; a user's selection leaves nodes untested #}
{% macro is_whole_build() -%}
    {%- set args = invocation_args_dict -%}
    {%- set excluded = args.get('exclude_resource_types') or [] -%}
    {{ return(flags.WHICH == 'build' and not args.get('select') and not args.get('exclude')
        and not args.get('selector') and not args.get('resource_types')
        and excluded | reject('equalto', 'unit_test') | list | length == 0) }}
{%- endmacro %}

{# the SQL of the newest load this build tests through, or none: it leaves loads untested #}
{% macro tested_loads_through() -%}
    {%- if var('selection_through', none) is not none -%}
        {{ return("cast('" ~ var('selection_through') ~ "' as " ~ dbt.type_timestamp() ~ ")") }}
    {%- elif is_whole_build() -%}
        {{ return('(' ~ newest_load() ~ ')') }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{# dlt's `_dlt_loads` of each schema that holds sources, by schema #}
{% macro loads_relations() -%}
    {%- set found = {} -%}
    {%- for node in graph.sources.values() if node.schema not in found -%}
        {%- set loads = adapter.get_relation(node.database, node.schema, '_dlt_loads') -%}
        {%- if loads is not none -%}{%- do found.update({node.schema: loads}) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(found) }}
{%- endmacro %}

{# the newest completed load of any source's schema, as staging's loaded_at #}
{% macro newest_load() -%}
    {%- set schemas = loads_relations().values() | map('string') | list -%}
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
    {%- set through = tested_loads_through() if execute else none -%}
    {%- if through is not none -%}
        {%- set relation = tested_loads_relation() -%}
        {%- do write_tested_loads([
            'create table if not exists ' ~ relation ~ ' (building_through ' ~ dbt.type_timestamp()
                ~ ', tested_through ' ~ dbt.type_timestamp() ~ ')',
            'insert into ' ~ relation ~ ' select null, null where not exists (select 1 from ' ~ relation ~ ')',
            'update ' ~ relation ~ ' set building_through = ' ~ through,
        ]) -%}
    {%- endif -%}
{%- endmacro %}

{% macro finish_tested_loads(results) -%}
    {%- set failed = results | map(attribute='status') | map('string') | select('in', ['error', 'fail', 'skipped']) | list -%}
    {%- if execute and tested_loads_through() is not none and not failed -%}
        {%- do write_tested_loads(['update ' ~ tested_loads_relation() ~ ' set tested_through = building_through']) -%}
    {%- endif -%}
{%- endmacro %}

{# the literal a test compares loaded_at with, or none: test every row (also offline, in
   `dbt compile --no-introspect`) #}
{% macro tested_since() -%}
    {%- if not execute or not flags.INTROSPECT or flags.FULL_REFRESH -%}{{ return(none) }}{%- endif -%}
    {%- set through = tested_through() -%}
    {{ return(none if through is none else "cast('" ~ through ~ "' as " ~ dbt.type_timestamp() ~ ")") }}
{%- endmacro %}

{# `tested_through` (a datetime), or none before the first passing build. transform.build passes
   it as the var `tested_through` (the text of one, or null), found once by build_selection:
   asked by each test, it cost a build of every node after a passing one 2 of its 7.5 s #}
{% macro tested_through() -%}
    {%- if var.has_var('tested_through') -%}
        {{ return(var('tested_through')) }}
    {%- endif -%}
    {%- set relation = tested_loads_relation() -%}
    {%- if adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set through = run_query('select tested_through from ' ~ relation).columns[0].values() -%}
    {{ return(through[0] if through else none) }}
{%- endmacro %}

{# `relation`'s rows loaded since the last passing build, for a test of single rows; none when the
   relation has no loaded_at (seeds) or every row is to be tested #}
{% macro changed_rows_filter(relation) -%}
    {%- set since = tested_since() -%}
    {%- if since is none or relation is string -%}{{ return(none) }}{%- endif -%}
    {{ return('loaded_at > ' ~ since if has_loaded_at(relation) else none) }}
{%- endmacro %}

{# whether `relation`, which this test checks, has loaded_at: a model whose yml declares it has
   (the marts; their docs are tested against them), else the warehouse is asked #}
{% macro has_loaded_at(relation) -%}
    {%- set tested = graph.nodes.get(model.attached_node) if model.attached_node else none -%}
    {%- if tested is not none and 'loaded_at' in tested.columns -%}{{ return(true) }}{%- endif -%}
    {%- set columns = loaded_columns(relation) -%}
    {{ return(columns is not none and 'loaded_at' in columns) }}
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
