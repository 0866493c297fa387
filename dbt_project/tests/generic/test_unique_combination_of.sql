{#- The grain of a model: no two rows share the values of `columns` (nulls compare equal, so a
    null in a key column cannot hide a duplicate). Fails with one row per duplicated combination. -#}
{% test unique_combination_of(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n_rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
