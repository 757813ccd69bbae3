{# a timestamp as its digits (2026-03-02 03:00:00 -> 20260302030000), for text keys #}
{% macro timestamp_digits(column) -%}
    {{ return(adapter.dispatch('timestamp_digits', 'amazon_elt')(column)) }}
{%- endmacro %}

{% macro default__timestamp_digits(column) -%}
    to_char({{ column }}, 'YYYYMMDDHH24MISS')
{%- endmacro %}

{% macro duckdb__timestamp_digits(column) -%}
    strftime({{ column }}, '%Y%m%d%H%M%S')
{%- endmacro %}

{% macro bigquery__timestamp_digits(column) -%}
    format_timestamp('%Y%m%d%H%M%S', {{ column }})
{%- endmacro %}
