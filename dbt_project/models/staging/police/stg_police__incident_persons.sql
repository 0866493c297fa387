-- One row per person named in a police incident (role, token, mobile token, community the police recorded).
select
    i.incident_id,
    p.pos as person_seq,
    p.person.role as role,
    p.person.person_token as person_id,
    p.person.mobile_token as mobile_token,
    p.person.community_code as community_code,
    i.reported_at,
    {{ local_date('i.reported_at') }} as reported_date,
    i.category_code
from {{ source('police_incidents', 'incidents') }} as i
lateral view posexplode(i.persons) p as pos, person
