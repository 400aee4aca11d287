-- Salesforce Lead; emails and phones kept raw and normalised.
-- key: lead_id
-- grain: one Salesforce Lead
create table if not exists sf_leads (
  lead_id string not null,
  first_name string,
  last_name string,
  lead_name string,
  email string,
  email_normalized string,
  email_domain string,
  company string,
  title string,
  phone string,
  phone_e164 string,
  country string,
  status string,
  lead_source string,
  industry string,
  is_converted bool,
  converted_date date,
  converted_account_id string,
  converted_contact_id string,
  converted_opportunity_id string,
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
options (description = 'Salesforce leads');
