-- Salesforce Account, one row per record id; deleted records kept with is_deleted = true.
-- key: account_id
-- grain: one Salesforce Account
create table if not exists sf_accounts (
  account_id string not null,
  account_name string,
  website string,
  domain string,                     -- registrable domain derived from website (acme.co.uk)
  industry string,
  account_type string,
  annual_revenue numeric,
  number_of_employees int64,
  billing_country string,
  parent_id string,
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
cluster by account_id
options (description = 'Salesforce accounts');
