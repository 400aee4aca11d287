-- Outcome of each scope (mailbox, Salesforce object, source) inside a run.
-- key: run_id, scope
-- grain: one scope of one invocation
create table if not exists etl_run_scopes (
  run_id string not null,
  function_name string not null,
  scope string not null,
  status string not null,            -- success | failed | pending (stopped at the time budget; resumes)
  rows_processed int64,
  error_message string,
  completed_at timestamp not null
)
partition by date(completed_at)
cluster by function_name, scope
options (description = 'Per-scope outcome of each run');
