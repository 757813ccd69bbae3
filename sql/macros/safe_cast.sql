{# dbt.safe_cast is a plain cast on DuckDB and PostgreSQL; a value that does not parse
   (a blank report cell, "N/A") must be null there too, as on BigQuery and Snowflake #}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}

{# pg_input_is_valid: PostgreSQL 16 and later #}
{% macro postgres__safe_cast(field, type) -%}
    cast(
        case when pg_input_is_valid(cast({{ field }} as text), '{{ type }}') then cast({{ field }} as text) end
        as {{ type }}
    )
{%- endmacro %}
