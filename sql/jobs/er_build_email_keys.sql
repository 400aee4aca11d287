-- entity-resolution, step 1: the match key of every address the resolver compares (the one shared definition of
-- a normalised email). Trimmed and lower-cased; a +tag is removed; on gmail.com / googlemail.com dots in the
-- local part are ignored and both hosts are gmail.com. Addresses no longer seen anywhere are deleted.
merge into er_email_keys as t
using (
  with addresses as (
    select distinct email_address
    from (
      select lower(trim(email_address)) as email_address from gmail_participants
      union all
      select email_normalized from sf_contacts
      union all
      select email_normalized from sf_leads
      union all
      select email_normalized from sf_users
      union all
      select lower(trim(email_address)) from manual_mappings
    )
    where email_address like '%_@_%'
  ),

  parts as (
    select
      email_address,
      regexp_replace(regexp_extract(email_address, r'^(.*)@[^@]*$'), r'\+.*$', '') as local_part,
      regexp_extract(email_address, r'@([^@]*)$') as host,
    from addresses
  ),

  final as (
    select
      email_address,
      case when host in ('gmail.com', 'googlemail.com') then replace(local_part, '.', '') else local_part end
        || '@' || case when host = 'googlemail.com' then 'gmail.com' else host end as email_key,
      case when host = 'googlemail.com' then 'gmail.com' else host end as email_domain,
    from parts
  )

  select * from final
) as s
on t.email_address = s.email_address
when matched and (t.email_key is distinct from s.email_key or t.email_domain is distinct from s.email_domain)
  then update set email_key = s.email_key, email_domain = s.email_domain, built_at = cast(@now as timestamp)
when not matched then insert (email_address, email_key, email_domain, built_at)
  values (s.email_address, s.email_key, s.email_domain, cast(@now as timestamp))
when not matched by source then delete
