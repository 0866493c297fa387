{#- The business day of a UTC timestamp (silver stores UTC; the city works in var('local_tz')). -#}
{% macro local_date(ts) -%}
    to_date(from_utc_timestamp({{ ts }}, '{{ var("local_tz") }}'))
{%- endmacro %}

{#- Hours between two UTC timestamps (null when either is null). -#}
{% macro hours_between(start_ts, end_ts) -%}
    round((unix_timestamp({{ end_ts }}) - unix_timestamp({{ start_ts }})) / 3600.0, 2)
{%- endmacro %}
