-- External addresses on synced mail that entity-resolution linked to no Salesforce contact, lead or account,
-- with the live account whose domain equals the address's (free-mail domains excluded): the likely account.
-- Internal people (is_internal) and rows the resolver has not looked at yet (is_internal null) are left out.
create or replace view v_unmatched_emails as
with participants as (
  select
    email_address,
    domain,
    display_name,
    role,
    mailbox,
    message_id,
    sent_at,
  from gmail_participants
  where not is_internal
    and sf_contact_id is null
    and sf_lead_id is null
    and sf_account_id is null
),

free_mail as (
  -- shared/data/free_mail_domains.txt, the resolver's list (tests/unit/test_er_views.py keeps the two equal)
  select domain
  from unnest([
    'aol.com', 'fastmail.com', 'gmail.com', 'googlemail.com', 'gmx.com', 'gmx.de', 'gmx.net', 'hey.com',
    'hotmail.co.uk', 'hotmail.com', 'hotmail.de', 'hotmail.fr', 'icloud.com', 'live.com', 'mac.com', 'mail.com',
    'mail.ru', 'me.com', 'msn.com', 'outlook.com', 'outlook.de', 'pm.me', 'proton.me', 'protonmail.com',
    'qq.com', 'rediffmail.com', 't-online.de', 'tutanota.com', 'web.de', 'yahoo.co.in', 'yahoo.co.jp',
    'yahoo.co.uk', 'yahoo.com', 'yahoo.de', 'yahoo.fr', 'yandex.com', 'yandex.ru', 'zoho.com', '163.com',
    '126.com'
  ]) as domain
),

accounts_by_domain as (
  select
    domain,
    account_id as likely_account_id,
    account_name as likely_account_name,
    count(*) over (partition by domain) as accounts_on_domain,
    row_number() over (partition by domain order by last_activity_date desc nulls last, account_id) as pick,
  from sf_accounts
  where not is_deleted
    and domain is not null
    and not domain in (select domain from free_mail)
),

final as (
  select
    p.*,
    m.subject,
    count(*) over (partition by p.email_address) as messages_with_address,
    a.likely_account_id,
    a.likely_account_name,
    coalesce(a.accounts_on_domain, 0) as accounts_on_domain,
  from participants as p
  left join gmail_messages as m using (mailbox, message_id)
  left join accounts_by_domain as a on a.domain = p.domain and a.pick = 1
)

select * from final
