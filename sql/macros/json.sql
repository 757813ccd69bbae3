{# JSON text (lists and objects dlt loaded as text) read with SQL/JSON paths ("$[0].rank") #}

{# the scalar at `path`, as text #}
{% macro json_value(column, path) -%}
    {{ return(adapter.dispatch('json_value', 'amazon_elt')(column, path)) }}
{%- endmacro %}

{% macro default__json_value(column, path) -%}
    json_value({{ column }}, '{{ path }}')
{%- endmacro %}

{% macro duckdb__json_value(column, path) -%}
    json_extract_string({{ column }}, '{{ path }}')
{%- endmacro %}

{% macro postgres__json_value(column, path) -%}
    (jsonb_path_query_first(cast({{ column }} as jsonb), '{{ path }}') #>> '{}')
{%- endmacro %}

{% macro snowflake__json_value(column, path) -%}
    cast(get_path(parse_json({{ column }}), '{{ path | replace("$", "", 1) }}') as varchar)
{%- endmacro %}


{# the strings of a JSON array joined by `separator` (["A", "B"] -> "A,B") #}
{% macro json_array_text(column, separator=',') -%}
    {{ return(adapter.dispatch('json_array_text', 'amazon_elt')(column, separator)) }}
{%- endmacro %}

{% macro default__json_array_text(column, separator) -%}
    array_to_string(json_value_array({{ column }}), '{{ separator }}')
{%- endmacro %}

{% macro duckdb__json_array_text(column, separator) -%}
    array_to_string(cast(json_extract_string({{ column }}, '$[*]') as varchar[]), '{{ separator }}')
{%- endmacro %}

{% macro postgres__json_array_text(column, separator) -%}
    (
        select string_agg(element, '{{ separator }}' order by position)
        from jsonb_array_elements_text(cast({{ column }} as jsonb)) with ordinality as elements (element, position)
    )
{%- endmacro %}

{% macro snowflake__json_array_text(column, separator) -%}
    array_to_string(parse_json({{ column }}), '{{ separator }}')
{%- endmacro %}


{# how many elements a JSON array has #}
{% macro json_array_length(column) -%}
    {{ return(adapter.dispatch('json_array_length', 'amazon_elt')(column)) }}
{%- endmacro %}

{% macro default__json_array_length(column) -%}
    json_array_length(cast({{ column }} as json))
{%- endmacro %}

{% macro bigquery__json_array_length(column) -%}
    array_length(json_query_array({{ column }}))
{%- endmacro %}

{% macro snowflake__json_array_length(column) -%}
    array_size(parse_json({{ column }}))
{%- endmacro %}


{# `value_field` of the first object of a JSON array whose `key_field` is `key` #}
{% macro json_array_lookup(column, key_field, key, value_field) -%}
    {{ return(adapter.dispatch('json_array_lookup', 'amazon_elt')(column, key_field, key, value_field)) }}
{%- endmacro %}

{% macro default__json_array_lookup(column, key_field, key, value_field) -%}
    {{ json_value(column, '$[*] ? (@.' ~ key_field ~ ' == "' ~ key ~ '").' ~ value_field) }}
{%- endmacro %}

{% macro duckdb__json_array_lookup(column, key_field, key, value_field) -%}
    list_filter(
        cast(json_extract({{ column }}, '$[*]') as json[]),
        lambda element: element ->> '$.{{ key_field }}' = '{{ key }}'
    )[1] ->> '$.{{ value_field }}'
{%- endmacro %}

{% macro bigquery__json_array_lookup(column, key_field, key, value_field) -%}
    (
        select json_value(element, '$.{{ value_field }}')
        from unnest(json_query_array({{ column }})) as element with offset as position
        where json_value(element, '$.{{ key_field }}') = '{{ key }}'
        order by position
        limit 1
    )
{%- endmacro %}

{% macro snowflake__json_array_lookup(column, key_field, key, value_field) -%}
    cast(
        filter(
            parse_json({{ column }}),
            element -> cast(element:{{ key_field }} as varchar) = '{{ key }}'
        )[0]:{{ value_field }}
        as varchar
    )
{%- endmacro %}
