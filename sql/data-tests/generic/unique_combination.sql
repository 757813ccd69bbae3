{# fails on every combination of `columns` that appears more than once; after a passing build,
   only the combinations of rows loaded since are checked (against every row of the model) #}
{% test unique_combination(model, columns) %}
{%- set changed = changed_rows_filter(model) %}
select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
{%- if changed is not none %}
where ({{ columns | join(', ') }}) in (
    select {{ columns | join(', ') }} from {{ model }} where {{ changed }}
)
{%- endif %}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
