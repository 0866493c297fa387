{#- Incremental facts fed by a timestamp: on an incremental run keep the source rows whose
    `column` is within var('incremental_lookback_days') of the newest value already merged
    (`target_column` of the built table, default the same name); late rows inside that window are
    merged again, which is idempotent. On the first run / --full-refresh: no filter (empty string).

    Usage:  from {{ ref('stg_x') }} {{ lookback_filter('updated_at') }}
            where a is not null {{ lookback_filter('updated_at', 'dispute_updated_at', keyword='and') }}
-#}
{% macro lookback_filter(column, target_column=none, keyword='where') -%}
    {%- if is_incremental() -%}
    {{ keyword }} {{ column }} >= (
        select coalesce(max({{ target_column or column }}), timestamp'1900-01-01 00:00:00')
            - interval {{ var('incremental_lookback_days', 3) }} days
        from {{ this }}
    )
    {%- endif -%}
{%- endmacro %}
