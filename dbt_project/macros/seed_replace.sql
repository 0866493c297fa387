{#- dbt-spark reloads a seed by DROP TABLE + CREATE TABLE at the same location. Trino caches Delta
    snapshots per location and then reads files the drop deleted (HIVE_CANNOT_OPEN_SPLIT) — the trap
    in docs/operations.md "Known limits and traps". A seed that exists as a table is instead replaced in place
    (CREATE OR REPLACE: a new version in the same Delta log), like every table model. -#}
{% macro spark__reset_csv_table(model, full_refresh, old_relation, agate_table) %}
    {% if old_relation and old_relation.is_table %}
        {%- set column_override = model['config'].get('column_types', {}) -%}
        {%- set quote_seed_column = model['config'].get('quote_columns', None) -%}
        {% set sql %}
            create or replace table {{ this.render() }} (
                {%- for col_name in agate_table.column_names -%}
                    {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                    {%- set type = column_override.get(col_name, inferred_type) -%}
                    {{ adapter.quote_seed_column(col_name | string, quote_seed_column) }} {{ type }}
                    {%- if not loop.last -%}, {%- endif -%}
                {%- endfor -%}
            )
            {{ file_format_clause() }}
            {{ comment_clause() }}
        {% endset %}
        {% call statement('_') -%}
            {{ sql }}
        {%- endcall %}
        {{ return(sql) }}
    {% else %}
        {% if old_relation %}
            {{ adapter.drop_relation(old_relation) }}
        {% endif %}
        {{ return(create_csv_table(model, agate_table)) }}
    {% endif %}
{% endmacro %}
