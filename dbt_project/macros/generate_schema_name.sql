{#- Layer names in dbt_project.yml (staging, gold) map to the schemas settings give, so a test
    sandbox (prefixed schemas) and the real warehouse run the same project. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ var(custom_schema_name ~ '_schema', custom_schema_name) }}
    {%- endif -%}
{%- endmacro %}
