-- Operator overrides: an email address or phone number pinned to a Salesforce contact / account.
-- Exactly one of email_address and phone_number is set. Overrides automatic matches.
-- key: mapping_id
-- grain: one override
create table if not exists manual_mappings (
  mapping_id string not null,
  email_address string,
  phone_number string,               -- E.164
  sf_contact_id string,
  sf_account_id string,
  note string,
  created_by string,
  created_at timestamp not null
)
options (description = 'Manual identity overrides');
