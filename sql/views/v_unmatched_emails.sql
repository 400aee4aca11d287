-- Addresses on synced mail that resolve to no Salesforce contact, lead or account.
-- Mailbox owners themselves are left out.
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
  where sf_contact_id is null
    and sf_lead_id is null
    and sf_account_id is null
    and email_address != mailbox
),

final as (
  select
    p.*,
    m.subject,
    count(*) over (partition by p.email_address) as messages_with_address,
  from participants as p
  left join gmail_messages as m using (mailbox, message_id)
)

select * from final
