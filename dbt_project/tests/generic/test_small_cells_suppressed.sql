{#- Disclosure control: no published value below var('min_cell_size'); a value is null exactly when
    the row is flagged suppressed. Returns the offending rows. -#}
{% test small_cells_suppressed(model, value_column, flag_column) %}
select *
from {{ model }}
where ({{ value_column }} is not null and {{ value_column }} < {{ var('min_cell_size') }})
   or ({{ value_column }} is null) <> coalesce({{ flag_column }}, false)
{% endtest %}
