{#- A theme must carry rows at every level of the hierarchy it rolls up to (a GROUPING SETS pass
    that lost a level shows here). Fails with one row per missing level. -#}
{% test at_every_level(model, column_name, levels=['city', 'district', 'street', 'community', 'grid']) %}
with expected as (
    {% for lvl in levels -%}
    select '{{ lvl }}' as hierarchy_level{{ ' union all' if not loop.last }}
    {% endfor %}
),

present as (
    select distinct {{ column_name }} as hierarchy_level from {{ model }}
)

select e.hierarchy_level as missing_level
from expected as e
left join present as p on p.hierarchy_level = e.hierarchy_level
where p.hierarchy_level is null
{% endtest %}
