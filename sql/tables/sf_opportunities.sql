-- Salesforce Opportunity.
-- key: opportunity_id
-- grain: one Salesforce Opportunity
create table if not exists sf_opportunities (
  opportunity_id string not null,
  account_id string,
  opportunity_name string,
  stage_name string,
  amount numeric,
  close_date date,
  probability float64,
  is_closed bool,
  is_won bool,
  forecast_category_name string,
  opportunity_type string,
  lead_source string,
  next_step string,
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
options (description = 'Salesforce opportunities');
