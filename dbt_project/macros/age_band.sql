{#- Age in whole years at a date, and the age bands every portrait and theme uses. -#}
{% macro age_at(birth_date, at_date) -%}
    cast(floor(months_between({{ at_date }}, {{ birth_date }}) / 12) as int)
{%- endmacro %}

{% macro age_band(age) -%}
    case
        when {{ age }} is null then 'unknown'
        when {{ age }} < 7 then '0-6'
        when {{ age }} < 18 then '7-17'
        when {{ age }} < 35 then '18-34'
        when {{ age }} < 60 then '35-59'
        when {{ age }} < 80 then '60-79'
        else '80+'
    end
{%- endmacro %}
