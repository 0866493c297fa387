{#- Roll a measure up the 5-level hierarchy in one pass (Spark GROUPING SETS).

    Usage (a theme by month at every level):
        with rolled as (
            select
                {{ hierarchy_level() }} as hierarchy_level,
                {{ hierarchy_node() }} as node_code,
                month_start as period_start,
                count(*) as incidents
            from ...
            group by {{ hierarchy_grouping_sets(['month_start']) }}
        )
        select * from rolled where node_code is not null

    (Spark does not allow grouping() in HAVING, hence the outer filter: a record with an unknown
    code must not form a node of its own at that level.)

    ``lowest`` is the finest level the input carries ('grid' or 'community'); ``extra`` are columns
    kept in every grouping set (period, category …). The city row has node_code = var('city_code').
-#}
{% macro _levels(lowest) -%}
    {%- set all = ['district_code', 'street_code', 'community_code', 'grid_code'] -%}
    {%- if lowest == 'community' -%}{{ return(all[:3]) }}
    {%- elif lowest == 'street' -%}{{ return(all[:2]) }}
    {%- elif lowest == 'district' -%}{{ return(all[:1]) }}
    {%- else -%}{{ return(all) }}{%- endif -%}
{%- endmacro %}

{% macro hierarchy_grouping_sets(extra=[], lowest='grid') -%}
    {%- set cols = _levels(lowest) -%}
    grouping sets (
    {%- for n in range(cols | length, -1, -1) %}
        ({{ (extra + cols[:n]) | join(', ') }}){{ ',' if not loop.last }}
    {%- endfor %}
    )
{%- endmacro %}

{% macro hierarchy_level(lowest='grid') -%}
    {%- set cols = _levels(lowest) -%}
    case
    {%- for c in cols | reverse %}
        when grouping({{ c }}) = 0 then '{{ c | replace("_code", "") }}'
    {%- endfor %}
        else 'city'
    end
{%- endmacro %}

{% macro hierarchy_node(lowest='grid') -%}
    {%- set cols = _levels(lowest) -%}
    case
    {%- for c in cols | reverse %}
        when grouping({{ c }}) = 0 then {{ c }}
    {%- endfor %}
        else '{{ var("city_code") }}'
    end
{%- endmacro %}


{#- Fan an event out to the two periods of the themes: its day and its month (period, period_start).
    Usage:  select e.*, p.period, p.period_start from events as e {{ day_and_month('e.event_date') }}
-#}
{% macro day_and_month(date_expr, alias='p') -%}
    lateral view inline(array(
        named_struct('period', 'day', 'period_start', {{ date_expr }}),
        named_struct('period', 'month', 'period_start', trunc({{ date_expr }}, 'MM'))
    )) {{ alias }}
{%- endmacro %}


{#- The key columns of a hierarchy roll-up: hierarchy_level, node_code and the ``keys`` kept in every
    grouping set. Pair it with ``hierarchy_grouping_sets(keys)`` over the same list:
        select {{ hierarchy_keys(['period', 'period_start']) }}, count(*) as incidents
        from ... group by {{ hierarchy_grouping_sets(['period', 'period_start']) }}
-#}
{% macro hierarchy_keys(keys=[], lowest='grid') -%}
    {{ hierarchy_level(lowest) }} as hierarchy_level,
    {{ hierarchy_node(lowest) }} as node_code
    {%- for k in keys %},
    {{ k }}
    {%- endfor %}
{%- endmacro %}
