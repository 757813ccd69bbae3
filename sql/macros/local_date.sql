{# the calendar day of a UTC timestamp in a marketplace's time zone (Seller Central's day) #}
{% macro local_date(utc_column, timezone_column) -%}
    {{ return(adapter.dispatch('local_date', 'amazon_elt')(utc_column, timezone_column)) }}
{%- endmacro %}

{% macro default__local_date(utc_column, timezone_column) -%}
    cast(({{ utc_column }} at time zone 'UTC') at time zone {{ timezone_column }} as date)
{%- endmacro %}

{% macro bigquery__local_date(utc_column, timezone_column) -%}
    date({{ utc_column }}, {{ timezone_column }})
{%- endmacro %}

{% macro snowflake__local_date(utc_column, timezone_column) -%}
    cast(convert_timezone('UTC', {{ timezone_column }}, {{ utc_column }}) as date)
{%- endmacro %}
