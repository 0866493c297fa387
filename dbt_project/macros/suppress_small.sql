{#- Statistical disclosure control: a count below var('min_cell_size') is not published (null). -#}
{% macro suppress_small(count_expr) -%}
    case when {{ count_expr }} < {{ var('min_cell_size') }} then null else {{ count_expr }} end
{%- endmacro %}
