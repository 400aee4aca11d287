-- Incremental cursors: advanced only after the data they cover is committed.
-- key: job, scope
-- grain: one cursor per job and scope (mailbox, object, source)
create table if not exists sync_state (
  job string not null,
  scope string not null,
  cursor_value string,
  updated_at timestamp not null,
  run_id string
)
options (description = 'Incremental sync cursors per job and scope');
