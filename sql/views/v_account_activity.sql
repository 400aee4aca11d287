-- Salesforce account × day: emails in and out, calls, talk minutes, distinct contacts engaged, and the last inbound
-- and outbound touch (email or call) up to that day. An email touches every account its external participants
-- resolved to; it is inbound when its sender is external, outbound when internal, and counted once however many
-- synced mailboxes hold it (by RFC 822 Message-ID).
create or replace view v_account_activity as
with participants as (
  select
    p.mailbox,
    p.message_id,
    p.role,
    p.is_internal,
    p.sf_contact_id,
    p.sf_account_id,
    p.sent_at,
    coalesce(m.rfc822_message_id, concat(p.mailbox, '/', p.message_id)) as mail_key,
  from gmail_participants as p
  left join gmail_messages as m using (mailbox, message_id)
),

senders as (
  select
    mail_key,
    logical_or(not is_internal) as is_inbound,
    logical_or(is_internal) as is_outbound,
  from participants
  where role = 'from'
  group by mail_key
),

email_touches as (
  select distinct
    p.sf_account_id as account_id,
    p.mail_key,
    p.sent_at,
    s.is_inbound,
    s.is_outbound,
  from participants as p
  join senders as s using (mail_key)
  where not p.is_internal
    and p.sf_account_id is not null
),

email_days as (
  select
    account_id,
    date(sent_at) as activity_date,
    count(distinct if(is_inbound, mail_key, null)) as emails_in,
    count(distinct if(is_outbound and not is_inbound, mail_key, null)) as emails_out,
    max(if(is_inbound, sent_at, null)) as last_inbound_at,
    max(if(is_outbound and not is_inbound, sent_at, null)) as last_outbound_at,
  from email_touches
  group by 1, 2
),

call_days as (
  select
    sf_account_id as account_id,
    date(call_time) as activity_date,
    count(*) as calls,
    coalesce(sum(duration_seconds), 0) / 60 as talk_minutes,
    max(if(direction = 'inbound', call_time, null)) as last_inbound_at,
    max(if(direction = 'outbound', call_time, null)) as last_outbound_at,
  from dialpad_calls
  where sf_account_id is not null
  group by 1, 2
),

contacts as (
  select sf_account_id as account_id, date(sent_at) as activity_date, sf_contact_id,
  from participants
  where not is_internal
    and sf_account_id is not null
    and sf_contact_id is not null
  union distinct
  select sf_account_id, date(call_time), sf_contact_id,
  from dialpad_calls
  where sf_account_id is not null
    and sf_contact_id is not null
),

contact_days as (
  select
    account_id,
    activity_date,
    count(*) as contacts_engaged,
  from contacts
  group by 1, 2
),

account_days as (
  select account_id, activity_date from email_days
  union distinct
  select account_id, activity_date from call_days
),

daily as (
  select
    d.account_id,
    d.activity_date,
    coalesce(e.emails_in, 0) as emails_in,
    coalesce(e.emails_out, 0) as emails_out,
    coalesce(c.calls, 0) as calls,
    coalesce(c.talk_minutes, 0) as talk_minutes,
    coalesce(n.contacts_engaged, 0) as contacts_engaged,
    greatest(coalesce(e.last_inbound_at, c.last_inbound_at), coalesce(c.last_inbound_at, e.last_inbound_at))
      as day_last_inbound_at,
    greatest(coalesce(e.last_outbound_at, c.last_outbound_at), coalesce(c.last_outbound_at, e.last_outbound_at))
      as day_last_outbound_at,
  from account_days as d
  left join email_days as e
    on e.account_id = d.account_id and e.activity_date is not distinct from d.activity_date
  left join call_days as c
    on c.account_id = d.account_id and c.activity_date is not distinct from d.activity_date
  left join contact_days as n
    on n.account_id = d.account_id and n.activity_date is not distinct from d.activity_date
),

final as (
  select
    d.account_id,
    a.account_name,
    d.activity_date,
    d.emails_in,
    d.emails_out,
    d.calls,
    d.talk_minutes,
    d.contacts_engaged,
    max(d.day_last_inbound_at) over (
      partition by d.account_id order by d.activity_date rows between unbounded preceding and current row
    ) as last_inbound_at,
    max(d.day_last_outbound_at) over (
      partition by d.account_id order by d.activity_date rows between unbounded preceding and current row
    ) as last_outbound_at,
  from daily as d
  left join sf_accounts as a using (account_id)
)

select * from final
