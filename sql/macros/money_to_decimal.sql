{# amounts arrive as decimal strings ("12.34"); money is decimal(18, 4) everywhere #}
{% macro money_to_decimal(column) -%}
    {{ dbt.safe_cast(column, 'decimal(18, 4)') }}
{%- endmacro %}
