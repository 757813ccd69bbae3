{# the calendar day of a UTC timestamp in a marketplace's time zone (Seller Central's day) #}
{% macro local_date(utc_column, timezone_column) -%}
    cast(timezone({{ timezone_column }}, timezone('UTC', {{ utc_column }})) as date)
{%- endmacro %}
