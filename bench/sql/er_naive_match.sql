-- bench only (bench/er_naive.py): the naive matcher's one query per participant row. The contact by exact
-- email, else the lead by exact email, else the account by the address's domain; the first live record wins.
with found as (
  select 1 as level, contact_id, cast(null as string) as lead_id, account_id, contact_id as tie
  from sf_contacts
  where email_normalized = @email and not is_deleted
  union all
  select 2, cast(null as string), lead_id, converted_account_id, lead_id
  from sf_leads
  where email_normalized = @email and not is_deleted
  union all
  select 3, cast(null as string), cast(null as string), account_id, account_id
  from sf_accounts
  where domain = @domain and not is_deleted
)
select level, contact_id, lead_id, account_id
from found
order by level, tie
limit 1
