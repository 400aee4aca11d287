-- Operator overrides: an email address or phone number pinned to a Salesforce contact, lead and/or account.
-- Exactly one of email_address and phone_number is set. An active mapping overrides every automatic match
-- (entity-resolution, method 'manual'); deactivating it (is_active = false) reverts exactly the rows it set.
-- key: mapping_id
-- grain: one override
create table if not exists manual_mappings (
  mapping_id string not null,
  email_address string,              -- matched trimmed and lower-cased against gmail_participants.email_address
  phone_number string,               -- E.164, matched against dialpad_calls.external_number
  sf_contact_id string,
  sf_lead_id string,
  sf_account_id string,              -- null: the contact's account, else the lead's converted account
  is_active bool,                    -- null counts as active (rows written before the column existed)
  note string,
  created_by string,
  created_at timestamp not null      -- the newest active mapping wins when several claim one address or number
)
options (description = 'Manual identity overrides');
