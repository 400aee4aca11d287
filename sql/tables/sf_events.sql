-- Salesforce Event (meetings).
-- key: event_id
-- grain: one Salesforce Event
create table if not exists sf_events (
  event_id string not null,
  subject string,
  start_at timestamp,
  end_at timestamp,
  activity_at timestamp,
  activity_date date,
  duration_minutes int64,
  is_all_day_event bool,
  who_id string,
  what_id string,
  account_id string,
  location string,
  event_type string,
  event_subtype string,
  description string,
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
options (description = 'Salesforce events');
