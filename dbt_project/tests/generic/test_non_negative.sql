{#- Fails on every row where the column is negative (nulls pass: not_null is a separate test). -#}
{% test non_negative(model, column_name) %}
select {{ column_name }} as failing_value
from {{ model }}
where {{ column_name }} < 0
{% endtest %}
