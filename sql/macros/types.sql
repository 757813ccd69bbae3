{# the source ymls' column types (DuckDB's names) in the warehouse's words #}
{% macro column_type(name) -%}
    {%- set portable = {
        'varchar': dbt.type_string(),
        'bigint': dbt.type_bigint(),
        'boolean': dbt.type_boolean(),
        'double': dbt.type_float(),
        'timestamp with time zone': type_timestamp_tz(),
    } -%}
    {{ portable.get(name | lower, name) }}
{%- endmacro %}

{# DuckDB's float has 4 bytes; every other warehouse's has 8 #}
{% macro duckdb__type_float() -%}
    double
{%- endmacro %}

{% macro type_timestamp_tz() -%}
    {{ return(adapter.dispatch('type_timestamp_tz', 'amazon_elt')()) }}
{%- endmacro %}

{% macro default__type_timestamp_tz() -%}
    timestamp with time zone
{%- endmacro %}

{% macro bigquery__type_timestamp_tz() -%}
    timestamp
{%- endmacro %}

{% macro snowflake__type_timestamp_tz() -%}
    timestamp_tz
{%- endmacro %}
