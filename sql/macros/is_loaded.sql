{# true when the warehouse holds this raw dataset (pipelines/run.py passes loaded_sources);
   models that union several sources guard each part with it #}
{% macro is_loaded(source_name) -%}
    {{ return(source_name in var('loaded_sources')) }}
{%- endmacro %}
