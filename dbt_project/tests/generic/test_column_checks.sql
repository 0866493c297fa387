{#- The cheap column checks of one model or source in one scan: not_null, unique, accepted_values,
    value_between and non_negative, with the same meaning as the one-column tests (nulls pass every
    check but not_null; accepted values compare as strings; unique counts the rows beyond the first
    of each value). dbt runs each test as its own query, and
    on Spark each query pays a fixed cost (planning, code generation, a job) of about 0.2 s whatever
    the table's size; the theme library has ~500 such checks (docs/performance.md).

    Fails with one row per failing check: `check_name` (e.g. `not_null(node_code)`) and `failures`
    (the rows that fail it). A check that needs its own config (severity, where) stays a test of its own.

        data_tests:
          - column_checks:
              arguments:
                not_null: [hierarchy_level, node_code]
                unique: [incident_id]
                accepted_values: {period: [day, month]}
                value_between: {share: [0, 1]}          # [min, max]; null for an open end
                non_negative: [incidents]
-#}
{% test column_checks(model, not_null=[], unique=[], accepted_values={}, value_between={}, non_negative=[]) %}
{%- set checks = [] -%}
{%- for col in not_null -%}
  {%- do checks.append(("not_null(" ~ col ~ ")", "count_if(" ~ col ~ " is null)")) -%}
{%- endfor -%}
{%- for col in unique -%}
  {%- do checks.append(("unique(" ~ col ~ ")", "count(" ~ col ~ ") - count(distinct " ~ col ~ ")")) -%}
{%- endfor -%}
{%- for col, values in accepted_values.items() -%}
  {%- set quoted = [] -%}
  {%- for v in values -%}{%- do quoted.append("'" ~ (v | string | replace("'", "\\'")) ~ "'") -%}{%- endfor -%}
  {%- do checks.append(("accepted_values(" ~ col ~ ")",
                        "count_if(cast(" ~ col ~ " as string) not in (" ~ quoted | join(", ") ~ "))")) -%}
{%- endfor -%}
{%- for col, bounds in value_between.items() -%}
  {%- set parts = [] -%}
  {%- if bounds[0] is not none %}{% do parts.append(col ~ " < " ~ bounds[0]) %}{% endif -%}
  {%- if bounds[1] is not none %}{% do parts.append(col ~ " > " ~ bounds[1]) %}{% endif -%}
  {%- do checks.append(("value_between(" ~ col ~ ")", "count_if(" ~ parts | join(" or ") ~ ")")) -%}
{%- endfor -%}
{%- for col in non_negative -%}
  {%- do checks.append(("non_negative(" ~ col ~ ")", "count_if(" ~ col ~ " < 0)")) -%}
{%- endfor -%}
{%- if not checks -%}
  {{ exceptions.raise_compiler_error("column_checks on " ~ model ~ ": no check given") }}
{%- endif %}
with counts as (
    select
    {%- for name, failures in checks %}
        {{ failures }} as f{{ loop.index0 }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
)
select check_name, failures
from (
    select stack({{ checks | length }},
    {%- for name, failures in checks %}
        '{{ name }}', f{{ loop.index0 }}{{ "," if not loop.last }}
    {%- endfor %}
    ) as (check_name, failures)
    from counts
) as results
where failures > 0
{% endtest %}
