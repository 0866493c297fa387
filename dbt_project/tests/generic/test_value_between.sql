{#- Fails on every row where the column lies outside [min_value, max_value] (nulls pass: not_null is a
    separate test). For shares (0..1), scores and hours. -#}
{% test value_between(model, column_name, min_value=none, max_value=none) %}
select {{ column_name }} as failing_value
from {{ model }}
where false
{%- if min_value is not none %} or {{ column_name }} < {{ min_value }}{% endif %}
{%- if max_value is not none %} or {{ column_name }} > {{ max_value }}{% endif %}
{% endtest %}
