-- Salesforce Contact; emails and phones kept raw and normalised (lower-case email, E.164 phone).
-- key: contact_id
-- grain: one Salesforce Contact
create table if not exists sf_contacts (
  contact_id string not null,
  account_id string,
  first_name string,
  last_name string,
  contact_name string,
  email string,
  email_normalized string,
  email_domain string,
  title string,
  phone string,
  phone_e164 string,
  mailing_country string,
  lead_source string,
  last_activity_date date,
  owner_id string,
  created_date timestamp,
  last_modified_date timestamp,
  system_modstamp timestamp not null,
  is_deleted bool not null,        -- in the recycle bin, or deleted for good (getDeleted, full-sync reconciliation)
  deleted_at timestamp,            -- when: SystemModstamp of the delete, getDeleted's deletedDate, or the reconciling run
  _synced_at timestamp not null,
  _run_id string
)
cluster by email_normalized
options (description = 'Salesforce contacts');
