-- Rebuild dim_api_keys (one row per key and owner period) from the keys list and every mapping snapshot.
-- A key whose latest snapshot has dated rows (valid_from) takes all its periods from that snapshot: finance
-- wrote its history down. Any other key takes the owner each daily snapshot showed, a new period starting on
-- the snapshot day the owner changed; its first known owner is assumed since the key was created, and a key
-- that disappears from the sheet is unmapped from that day on.
merge into dim_api_keys as t
using (
  with keys as (
    select
      api_key_id,
      api_key_name,
      workspace_id,
      status,
      created_at,
      coalesce(date(created_at), date '2000-01-01') as origin_date,
    from raw_anthropic_api_keys
  ),

  mapped as (
    select
      snapshot_date,
      api_key_id,
      user_email,
      description,
      platform,
      valid_from,
    from v_key_mapping_rows
    where api_key_id is not null
  ),

  latest as (
    select max(snapshot_date) as snapshot_date from raw_key_mapping_sheet
  ),

  dated_keys as (
    select distinct m.api_key_id
    from mapped as m
    join latest using (snapshot_date)
    where m.valid_from is not null
  ),

  dated_periods as (
    select
      m.api_key_id,
      coalesce(m.valid_from, k.origin_date) as valid_from,
      m.user_email,
      m.description,
      m.platform,
      'sheet_valid_from' as mapping_source,
    from mapped as m
    join latest using (snapshot_date)
    join dated_keys using (api_key_id)
    join keys as k using (api_key_id)
    where true
    qualify row_number() over (
      partition by m.api_key_id, coalesce(m.valid_from, k.origin_date) order by m.valid_from is null
    ) = 1
  ),

  snapshot_owner as (
    select
      m.api_key_id,
      m.snapshot_date,
      m.user_email,
      m.description,
      m.platform,
    from mapped as m
    join keys as k using (api_key_id)
    where m.api_key_id not in (select api_key_id from dated_keys)
      and coalesce(m.valid_from, k.origin_date) <= m.snapshot_date
    qualify row_number() over (
      partition by m.api_key_id, m.snapshot_date order by coalesce(m.valid_from, k.origin_date) desc
    ) = 1
  ),

  first_mapped as (
    select
      api_key_id,
      min(snapshot_date) as first_snapshot,
    from snapshot_owner
    group by api_key_id
  ),

  snapshot_sequence as (
    select
      f.api_key_id,
      s.snapshot_date,
      o.user_email,
      o.description,
      o.platform,
      s.snapshot_date = f.first_snapshot as is_first,
    from first_mapped as f
    join (select distinct snapshot_date from raw_key_mapping_sheet) as s on s.snapshot_date >= f.first_snapshot
    left join snapshot_owner as o on o.api_key_id = f.api_key_id and o.snapshot_date = s.snapshot_date
  ),

  changes as (
    select
      *,
      lag(user_email) over (partition by api_key_id order by snapshot_date) as previous_email,
    from snapshot_sequence
  ),

  snapshot_periods as (
    select
      c.api_key_id,
      if(c.is_first, least(k.origin_date, c.snapshot_date), c.snapshot_date) as valid_from,
      c.user_email,
      c.description,
      c.platform,
      if(c.user_email is null, 'unmapped', 'sheet_snapshot') as mapping_source,
    from changes as c
    join keys as k using (api_key_id)
    where c.is_first or c.user_email is distinct from c.previous_email
  ),

  unmapped_periods as (
    select
      k.api_key_id,
      k.origin_date as valid_from,
      cast(null as string) as user_email,
      cast(null as string) as description,
      cast(null as string) as platform,
      'unmapped' as mapping_source,
    from keys as k
    where k.api_key_id not in (select api_key_id from dated_keys)
      and k.api_key_id not in (select api_key_id from first_mapped)
  ),

  periods as (
    select * from dated_periods
    union all
    select * from snapshot_periods
    union all
    select * from unmapped_periods
  ),

  final as (
    select
      p.api_key_id,
      p.valid_from,
      date_sub(lead(p.valid_from) over (partition by p.api_key_id order by p.valid_from), interval 1 day)
        as valid_to,
      k.api_key_name,
      k.workspace_id,
      k.status,
      k.created_at,
      p.user_email,
      p.description,
      p.platform,
      p.mapping_source,
      lead(p.valid_from) over (partition by p.api_key_id order by p.valid_from) is null as is_current,
    from periods as p
    join keys as k using (api_key_id)
  )

  select * from final
) as s
on t.api_key_id = s.api_key_id and t.valid_from = s.valid_from
when matched and (
  t.valid_to is distinct from s.valid_to
  or t.api_key_name is distinct from s.api_key_name
  or t.workspace_id is distinct from s.workspace_id
  or t.status is distinct from s.status
  or t.created_at is distinct from s.created_at
  or t.user_email is distinct from s.user_email
  or t.description is distinct from s.description
  or t.platform is distinct from s.platform
  or t.mapping_source is distinct from s.mapping_source
  or t.is_current is distinct from s.is_current
) then update set
  valid_to = s.valid_to,
  api_key_name = s.api_key_name,
  workspace_id = s.workspace_id,
  status = s.status,
  created_at = s.created_at,
  user_email = s.user_email,
  description = s.description,
  platform = s.platform,
  mapping_source = s.mapping_source,
  is_current = s.is_current,
  updated_at = @now
when not matched then insert (
  api_key_id, valid_from, valid_to, api_key_name, workspace_id, status, created_at, user_email, description,
  platform, mapping_source, is_current, updated_at
) values (
  s.api_key_id, s.valid_from, s.valid_to, s.api_key_name, s.workspace_id, s.status, s.created_at, s.user_email,
  s.description, s.platform, s.mapping_source, s.is_current, @now
)
when not matched by source then delete
