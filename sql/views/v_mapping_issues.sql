-- What finance should fix in the key-mapping sheet: rows of its latest snapshot that are ignored (invalid or
-- missing email, unknown, ambiguous or duplicate key name, bad valid_from), and keys with Anthropic API cost in
-- the last 30 days of data that nobody is mapped to (cost_usd = that unattributed cost).
create or replace view v_mapping_issues as
with latest as (
  select max(snapshot_date) as snapshot_date from raw_key_mapping_sheet
),

sheet_issues as (
  select
    r.snapshot_date,
    r.row_number,
    r.api_key_name,
    cast(null as string) as api_key_id,
    r.user_email_text as user_email,
    r.issue,
    cast(null as numeric) as cost_usd,
  from v_key_mapping_rows as r
  join latest using (snapshot_date)
  where r.issue is not null
),

recent_window as (
  select date_sub(max(cost_date), interval 30 day) as after_date from fct_cost_daily
),

recent_cost as (
  select
    c.api_key_id,
    sum(c.cost_usd) as cost_usd,
  from fct_cost_daily as c
  cross join recent_window as w
  where c.platform = 'anthropic_api'
    and c.user_email is null
    and c.api_key_id is not null
    and c.cost_date > w.after_date
  group by c.api_key_id
),

unmapped_keys as (
  select
    l.snapshot_date,
    cast(null as int64) as row_number,
    k.api_key_name,
    c.api_key_id,
    cast(null as string) as user_email,
    'key with cost has no owner' as issue,
    c.cost_usd,
  from recent_cost as c
  cross join latest as l
  left join raw_anthropic_api_keys as k using (api_key_id)
),

final as (
  select * from sheet_issues
  union all
  select * from unmapped_keys
)

select * from final
