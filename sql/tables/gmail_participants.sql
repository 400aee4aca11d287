-- Every address on a message by role, with the Salesforce record it resolves to (entity-resolution).
-- key: mailbox, message_id, email_address, role
-- grain: one address in one role on one message in one mailbox
create table if not exists gmail_participants (
  mailbox string not null,
  message_id string not null,
  email_address string not null,     -- normalised: lower-case, trimmed
  display_name string,
  role string not null,              -- from | to | cc | bcc | reply_to
  domain string,
  sent_at timestamp,
  sf_contact_id string,
  sf_lead_id string,
  sf_account_id string,
  match_method string,
  match_confidence float64,
  matched_at timestamp,
  ingested_at timestamp not null
)
partition by date(ingested_at)
cluster by email_address
options (description = 'Gmail participants with Salesforce resolution');
