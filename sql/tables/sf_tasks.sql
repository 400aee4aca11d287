-- Salesforce Task (calls, emails, to-dos logged against contacts, leads and accounts).
-- key: task_id
-- grain: one Salesforce Task
create table if not exists sf_tasks (
  task_id string not null,
  subject string,
  status string,
  priority string,
  activity_date date,
  who_id string,
  what_id string,
  account_id string,
  task_type string,
  task_subtype string,
  call_duration_seconds int64,
  call_disposition string,
  call_type string,
  description string,
  is_closed bool,
  completed_at timestamp,
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
options (description = 'Salesforce tasks');
