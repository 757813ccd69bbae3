{# ISO 8601 text with a zone ("2024-11-24T05:34:58Z"), or a timestamp with a zone, to a UTC
   timestamp (null when it does not parse) #}
{% macro utc_timestamp(column) -%}
    {{ return(adapter.dispatch('utc_timestamp', 'amazon_elt')(column)) }}
{%- endmacro %}

{% macro default__utc_timestamp(column) -%}
    ({{ dbt.safe_cast(column, 'timestamp with time zone') }} at time zone 'UTC')
{%- endmacro %}

{# BigQuery's timestamp is an instant, UTC #}
{% macro bigquery__utc_timestamp(column) -%}
    {{ dbt.safe_cast(column, 'timestamp') }}
{%- endmacro %}

{# Snowflake's try_cast takes text only #}
{% macro snowflake__utc_timestamp(column) -%}
    cast(
        convert_timezone('UTC', {{ dbt.safe_cast('cast(' ~ column ~ ' as varchar)', 'timestamp_tz') }})
        as timestamp_ntz
    )
{%- endmacro %}
