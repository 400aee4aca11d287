-- Salesforce EmailMessage (emails logged in the CRM).
-- key: email_message_id
-- grain: one Salesforce EmailMessage
create table if not exists sf_email_messages (
  email_message_id string not null,
  activity_id string,
  parent_id string,
  related_to_id string,
  subject string,
  from_name string,
  from_address string,
  to_address string,
  cc_address string,
  text_body string,
  message_at timestamp,
  is_incoming bool,
  status string,
  message_identifier string,
  thread_identifier string,
  owner_id string,
  created_date timestamp,
  last_modified_date timestamp,
  system_modstamp timestamp not null,
  is_deleted bool not null,        -- in the recycle bin, or deleted for good (getDeleted, full-sync reconciliation)
  deleted_at timestamp,            -- when: SystemModstamp of the delete, getDeleted's deletedDate, or the reconciling run
  _synced_at timestamp not null,
  _run_id string
)
cluster by related_to_id
options (description = 'Salesforce email messages');
