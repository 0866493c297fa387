{#- The stewards' decisions table (ops.finding_decisions) must exist before anything reads it — the
    source tests included — even when no steward has decided yet. Created empty, with the schema the
    CLI (`govlake findings decide`, its only writer) appends with; never written here. Runs on-run-start. -#}
{% macro ensure_finding_decisions() %}
    {% if execute %}
        {% do run_query("create schema if not exists " ~ var('ops_schema')) %}
        {% do run_query("create table if not exists " ~ var('ops_schema') ~ ".finding_decisions "
                        ~ "(finding_id string, status string, decided_by string, decided_at timestamp, note string) "
                        ~ "using delta") %}
    {% endif %}
{% endmacro %}
