-- Every key-mapping sheet row of every snapshot, parsed and checked: the key it names (matched by name through
-- the API-keys list), the normalised email, the optional valid_from, and why the row is ignored (issue).
-- The first valid row for a key (and valid_from) counts; later ones are duplicates. Key names are not judged
-- before the keys list has been collected.
create or replace view v_key_mapping_rows as
with keys_by_name as (
  select
    api_key_name,
    count(*) as matches,
    min(api_key_id) as api_key_id,
  from raw_anthropic_api_keys
  group by api_key_name
),

parsed as (
  select
    s.snapshot_date,
    s.row_number,
    s.api_key_name,
    s.user_email_text,
    s.description,
    s.platform,
    s.valid_from_text,
    nullif(trim(s.api_key_name), '') as key_name,
    lower(trim(s.user_email_text)) as user_email,
    safe_cast(trim(s.valid_from_text) as date) as valid_from,
    k.api_key_id,
    k.matches,
  from raw_key_mapping_sheet as s
  left join keys_by_name as k on k.api_key_name = trim(s.api_key_name)
),

checked as (
  select
    *,
    case
      when key_name is null then 'missing key name'
      when user_email is null or user_email = '' then 'missing email'
      when not regexp_contains(user_email, r'^[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}$') then 'invalid email'
      when nullif(trim(valid_from_text), '') is not null and valid_from is null then 'invalid valid_from'
      when matches is null and (select count(*) from raw_anthropic_api_keys) > 0 then 'unknown key name'
      when matches > 1 then 'ambiguous key name'
    end as row_issue,
  from parsed
),

ranked as (
  select
    *,
    row_number() over (
      partition by snapshot_date, key_name, coalesce(cast(valid_from as string), ''), row_issue is null
      order by row_number
    ) as occurrence,
  from checked
),

final as (
  select
    snapshot_date,
    row_number,
    api_key_name,
    user_email_text,
    description,
    platform,
    valid_from_text,
    if(row_issue is null and occurrence = 1, api_key_id, null) as api_key_id,
    if(row_issue is null and occurrence = 1, user_email, null) as user_email,
    valid_from,
    coalesce(row_issue, if(occurrence > 1, 'duplicate key name', null)) as issue,
  from ranked
)

select * from final
