-- Email addresses and phone numbers claimed by two or more live Salesforce records (contacts and unconverted
-- leads; a converted lead is represented by its contact), for operators to clean up: entity-resolution marks
-- matches on such a value ambiguous when the claimants are at the same level.
create or replace view v_identity_conflicts as
with claims as (
  select 'email' as kind, email_normalized as value, 'contact' as record_type, contact_id as record_id,
    account_id,
  from sf_contacts
  where not is_deleted and email_normalized is not null
  union all
  select 'phone', phone_e164, 'contact', contact_id, account_id,
  from sf_contacts
  where not is_deleted and phone_e164 is not null
  union all
  select 'email', email_normalized, 'lead', lead_id, cast(null as string),
  from sf_leads
  where not is_deleted and not coalesce(is_converted, false) and email_normalized is not null
  union all
  select 'phone', phone_e164, 'lead', lead_id, cast(null as string),
  from sf_leads
  where not is_deleted and not coalesce(is_converted, false) and phone_e164 is not null
),

final as (
  select
    value,
    kind,
    count(*) as record_count,
    countif(record_type = 'contact') as contact_count,
    countif(record_type = 'lead') as lead_count,
    count(distinct account_id) as account_count,
    array_agg(record_id order by record_id) as record_ids,
    array_agg(distinct account_id ignore nulls order by account_id) as account_ids,
  from claims
  group by value, kind
  having count(*) > 1
)

select * from final
