-- entity-resolution, step 3: every dialpad_calls row's match on its customer-side number (external_number, E.164),
-- computed set-based over the whole table, then written only where it changed (or everywhere when @full).
-- Precedence (lowest level wins): 1 manual mapping, 6 contact phone, 7 lead phone. Several candidates at the
-- winning level (a switchboard number on several contacts) set is_ambiguous; the tie-break is the most recently
-- active record (last activity date, then SystemModstamp; a mapping: created_at), then the lowest id.
merge into dialpad_calls as t
using (
  with user_phones as (
    select distinct phone_e164 from sf_users where phone_e164 is not null
  ),

  live_accounts as (
    select account_id from sf_accounts where not is_deleted
  ),

  contacts as (
    select c.contact_id, a.account_id, c.phone_e164, c.last_activity_date, c.system_modstamp
    from sf_contacts as c
    left join live_accounts as a on a.account_id = c.account_id
    where not c.is_deleted and c.phone_e164 is not null
  ),

  leads as (
    select l.lead_id, a.account_id, l.phone_e164, l.system_modstamp
    from sf_leads as l
    left join live_accounts as a on a.account_id = l.converted_account_id and l.is_converted
    where not l.is_deleted and l.phone_e164 is not null
  ),

  mappings as (
    select
      trim(m.phone_number) as phone_number,
      m.mapping_id,
      m.sf_contact_id,
      m.sf_lead_id,
      coalesce(m.sf_account_id, c.account_id, l.converted_account_id) as sf_account_id,
      m.created_at,
    from manual_mappings as m
    left join sf_contacts as c on c.contact_id = m.sf_contact_id
    left join sf_leads as l on l.lead_id = m.sf_lead_id
    where coalesce(m.is_active, true) and m.phone_number is not null
  ),

  calls as (
    select
      call_id,
      external_number,
      coalesce(external_number in (select phone_e164 from user_phones), false) as is_internal,
    from dialpad_calls
  ),

  external as (
    select * from calls where not is_internal and external_number is not null
  ),

  candidates as (
    select distinct
      p.call_id, 1 as level, 'manual' as match_method, m.sf_contact_id, m.sf_lead_id, m.sf_account_id,
      cast(null as date) as active_date, m.created_at as active_at, m.mapping_id as tie_id,
    from external as p
    join mappings as m on m.phone_number = p.external_number
    union all
    select distinct
      p.call_id, 6, 'contact_phone', c.contact_id, cast(null as string), c.account_id,
      c.last_activity_date, c.system_modstamp, c.contact_id,
    from external as p
    join contacts as c on c.phone_e164 = p.external_number
    union all
    select distinct
      p.call_id, 7, 'lead_phone', cast(null as string), l.lead_id, l.account_id,
      cast(null as date), l.system_modstamp, l.lead_id,
    from external as p
    join leads as l on l.phone_e164 = p.external_number
  ),

  winning_level as (
    select *
    from candidates
    where true  -- BigQuery wants WHERE, GROUP BY or HAVING beside QUALIFY
    qualify level = min(level) over (partition by call_id)
  ),

  winners as (
    select
      *,
      count(*) over (partition by call_id) > 1 as is_ambiguous,
    from winning_level
    where true
    qualify row_number() over (
      partition by call_id order by active_date desc nulls last, active_at desc nulls last, tie_id
    ) = 1
  ),

  final as (
    select
      p.call_id,
      w.sf_contact_id,
      w.sf_lead_id,
      w.sf_account_id,
      w.match_method,
      case w.match_method
        when 'manual' then cast(@confidence_manual as float64)
        when 'contact_phone' then cast(@confidence_contact_phone as float64)
        when 'lead_phone' then cast(@confidence_lead_phone as float64)
      end as match_confidence,
      coalesce(w.is_ambiguous, false) as is_ambiguous,
      p.is_internal,
    from calls as p
    left join winners as w on w.call_id = p.call_id
  )

  select * from final
) as s
on t.call_id = s.call_id
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
