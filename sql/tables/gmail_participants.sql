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
  sf_contact_id string,                -- entity-resolution: the matched contact (null: none)
  sf_lead_id string,                   -- the matched lead (null: none, or a contact matched first)
  sf_account_id string,                -- the contact's account, a converted lead's account, or by domain
  match_method string,                 -- manual | contact_email | lead_email | normalized_email |
                                       -- display_name_thread | account_domain; null: unmatched
  match_confidence float64,            -- the method's confidence, 0-1 (functions/entity_resolution/README.md)
  matched_at timestamp,                -- when the resolver wrote the current match (null: unmatched)
  is_ambiguous bool,                   -- several candidates at the winning level; the documented tie-break chose
  is_internal bool,                    -- a company address (COMPANY_DOMAINS or a Salesforce user): never matched
  resolved_at timestamp,               -- when the resolver last wrote this row's match columns (null: never)
  ingested_at timestamp not null
)
partition by date(ingested_at)
cluster by email_address
options (description = 'Gmail participants with Salesforce resolution');
