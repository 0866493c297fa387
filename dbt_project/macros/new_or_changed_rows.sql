{#- Incremental facts: keep only the rows of `relation` (a CTE name) that are new or differ from the
    table already built. The comparison is null-safe over every column the target has, so a rerun on
    unchanged data merges nothing (the table stays identical), a late or corrected source row is merged
    whatever its timestamps, and a derived column that changed because of another row (a window such as
    a repeat-complaint flag) is merged too. On the first run / --full-refresh every row passes.

    Usage (last statement of an incremental model):
        {{ new_or_changed_rows('final', 'ticket_id') }}
-#}
{% macro new_or_changed_rows(relation, unique_key) -%}
    {%- if is_incremental() -%}
        {%- set target_cols = adapter.get_columns_in_relation(this) -%}
        select s.*
        from {{ relation }} as s
        left anti join {{ this }} as t
            on t.{{ unique_key }} = s.{{ unique_key }}
        {%- for c in target_cols if c.name | lower != unique_key | lower %}
            and t.{{ c.name }} <=> s.{{ c.name }}
        {%- endfor %}
    {%- else -%}
        select * from {{ relation }}
    {%- endif -%}
{%- endmacro %}
