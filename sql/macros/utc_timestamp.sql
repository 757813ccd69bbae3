{# ISO 8601 text with a zone ("2024-11-24T05:34:58Z") to a UTC timestamp #}
{% macro utc_timestamp(column) -%}
    (try_cast({{ column }} as timestamptz) at time zone 'UTC')
{%- endmacro %}
