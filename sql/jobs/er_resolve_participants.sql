-- entity-resolution, step 2: every gmail_participants row's match, computed set-based over the whole table, then
-- written only where it changed (or everywhere when @full). Precedence (lowest level wins): 1 manual mapping,
-- 2 contact email, 3 lead email, 4 normalised email (contact), 5 normalised email (lead), 8 display name +
-- thread, 9 account by domain. Ties at the winning level set is_ambiguous and are broken by the most recently
-- active record (last activity date, then SystemModstamp; a mapping: created_at), then the lowest id.
merge into gmail_participants as t
using (
  with user_emails as (
    select distinct email_normalized as email_address from sf_users where email_normalized is not null
  ),

  live_accounts as (
    select account_id, domain, last_activity_date, system_modstamp
    from sf_accounts
    where not is_deleted
  ),

  contacts as (
    select
      c.contact_id,
      a.account_id,
      c.email_normalized,
      k.email_key,
      regexp_replace(
        regexp_replace(normalize(lower(trim(coalesce(c.contact_name, concat(c.first_name, ' ', c.last_name)))), NFD),
                       r'\p{M}', ''),
        r'\s+', ' ') as name_key,
      a.domain as account_domain,
      c.last_activity_date,
      c.system_modstamp,
    from sf_contacts as c
    left join live_accounts as a on a.account_id = c.account_id
    left join er_email_keys as k on k.email_address = c.email_normalized
    where not c.is_deleted
  ),

  leads as (
    select
      l.lead_id,
      a.account_id,
      l.email_normalized,
      k.email_key,
      l.system_modstamp,
    from sf_leads as l
    left join live_accounts as a on a.account_id = l.converted_account_id and l.is_converted
    left join er_email_keys as k on k.email_address = l.email_normalized
    where not l.is_deleted
  ),

  mappings as (
    select
      lower(trim(m.email_address)) as email_address,
      m.mapping_id,
      m.sf_contact_id,
      m.sf_lead_id,
      coalesce(m.sf_account_id, c.account_id, l.converted_account_id) as sf_account_id,
      m.created_at,
    from manual_mappings as m
    left join sf_contacts as c on c.contact_id = m.sf_contact_id
    left join sf_leads as l on l.lead_id = m.sf_lead_id
    where coalesce(m.is_active, true) and m.email_address is not null
  ),

  participants as (
    select
      p.mailbox,
      p.message_id,
      p.email_address,
      p.role,
      k.email_key,
      coalesce(p.domain, k.email_domain) as domain,
      msg.thread_id,
      regexp_replace(regexp_replace(normalize(lower(trim(p.display_name)), NFD), r'\p{M}', ''), r'\s+', ' ')
        as name_key,
      coalesce(coalesce(p.domain, k.email_domain) in unnest(@company_domains), false)
        or p.email_address in (select email_address from user_emails)
        or coalesce(k.email_key in (select email_address from user_emails), false) as is_internal,
    from gmail_participants as p
    left join er_email_keys as k on k.email_address = p.email_address
    left join gmail_messages as msg on msg.mailbox = p.mailbox and msg.message_id = p.message_id
  ),

  external as (
    select * from participants where not coalesce(is_internal, false)
  ),

  thread_domains as (
    select distinct mailbox, thread_id, domain
    from participants
    where thread_id is not null and domain is not null
  ),

  candidates as (
    select distinct
      p.mailbox, p.message_id, p.email_address, p.role, 1 as level, 'manual' as match_method,
      m.sf_contact_id, m.sf_lead_id, m.sf_account_id,
      cast(null as date) as active_date, m.created_at as active_at, m.mapping_id as tie_id,
    from external as p
    join mappings as m on m.email_address = p.email_address
    union all
    select distinct
      p.mailbox, p.message_id, p.email_address, p.role, 2, 'contact_email',
      c.contact_id, cast(null as string), c.account_id, c.last_activity_date, c.system_modstamp, c.contact_id,
    from external as p
    join contacts as c on c.email_normalized = p.email_address
    union all
    select distinct
      p.mailbox, p.message_id, p.email_address, p.role, 3, 'lead_email',
      cast(null as string), l.lead_id, l.account_id, cast(null as date), l.system_modstamp, l.lead_id,
    from external as p
    join leads as l on l.email_normalized = p.email_address
    union all
    select distinct
      p.mailbox, p.message_id, p.email_address, p.role, 4, 'normalized_email',
      c.contact_id, cast(null as string), c.account_id, c.last_activity_date, c.system_modstamp, c.contact_id,
    from external as p
    join contacts as c on c.email_key = p.email_key
    union all
    select distinct
      p.mailbox, p.message_id, p.email_address, p.role, 5, 'normalized_email',
      cast(null as string), l.lead_id, l.account_id, cast(null as date), l.system_modstamp, l.lead_id,
    from external as p
    join leads as l on l.email_key = p.email_key
    union all
    select distinct
      p.mailbox, p.message_id, p.email_address, p.role, 8, 'display_name_thread',
      c.contact_id, cast(null as string), c.account_id, c.last_activity_date, c.system_modstamp, c.contact_id,
    from external as p
    join contacts as c on c.name_key = p.name_key
    join thread_domains as td
      on td.mailbox = p.mailbox and td.thread_id = p.thread_id and td.domain = c.account_domain
    where p.domain in unnest(@free_mail_domains)
    union all
    select distinct
      p.mailbox, p.message_id, p.email_address, p.role, 9, 'account_domain',
      cast(null as string), cast(null as string), a.account_id, a.last_activity_date, a.system_modstamp, a.account_id,
    from external as p
    join live_accounts as a on a.domain = p.domain
    where p.domain not in unnest(@free_mail_domains)
  ),

  winning_level as (
    select *
    from candidates
    where true  -- BigQuery wants WHERE, GROUP BY or HAVING beside QUALIFY
    qualify level = min(level) over (partition by mailbox, message_id, email_address, role)
  ),

  winners as (
    select
      *,
      count(*) over (partition by mailbox, message_id, email_address, role) > 1 as is_ambiguous,
    from winning_level
    where true
    qualify row_number() over (
      partition by mailbox, message_id, email_address, role
      order by active_date desc nulls last, active_at desc nulls last, tie_id
    ) = 1
  ),

  final as (
    select
      p.mailbox,
      p.message_id,
      p.email_address,
      p.role,
      w.sf_contact_id,
      w.sf_lead_id,
      w.sf_account_id,
      w.match_method,
      case w.match_method
        when 'manual' then cast(@confidence_manual as float64)
        when 'contact_email' then cast(@confidence_contact_email as float64)
        when 'lead_email' then cast(@confidence_lead_email as float64)
        when 'normalized_email' then cast(@confidence_normalized_email as float64)
        when 'display_name_thread' then cast(@confidence_display_name_thread as float64)
        when 'account_domain' then cast(@confidence_account_domain as float64)
      end as match_confidence,
      coalesce(w.is_ambiguous, false) as is_ambiguous,
      coalesce(p.is_internal, false) as is_internal,
    from participants as p
    left join winners as w
      on w.mailbox = p.mailbox and w.message_id = p.message_id and w.email_address = p.email_address
      and w.role = p.role
  )

  select * from final
) as s
on t.mailbox = s.mailbox and t.message_id = s.message_id and t.email_address = s.email_address and t.role = s.role
when matched and (
  cast(@full as bool)
  or t.resolved_at is null
  or t.sf_contact_id is distinct from s.sf_contact_id
  or t.sf_lead_id is distinct from s.sf_lead_id
  or t.sf_account_id is distinct from s.sf_account_id
  or t.match_method is distinct from s.match_method
  or t.match_confidence is distinct from s.match_confidence
  or t.is_ambiguous is distinct from s.is_ambiguous
  or t.is_internal is distinct from s.is_internal
) then update set
  sf_contact_id = s.sf_contact_id,
  sf_lead_id = s.sf_lead_id,
  sf_account_id = s.sf_account_id,
  match_method = s.match_method,
  match_confidence = s.match_confidence,
  matched_at = if(s.match_method is null, null, cast(@now as timestamp)),
  is_ambiguous = s.is_ambiguous,
  is_internal = s.is_internal,
  resolved_at = cast(@now as timestamp)
