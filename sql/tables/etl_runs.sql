-- One row per function invocation: the operators' run ledger.
-- key: run_id
-- grain: one invocation of one function
create table if not exists etl_runs (
  run_id string not null,
  function_name string not null,
  source_system string,
  status string not null,            -- running | success | partial | failed
  started_at timestamp not null,
  completed_at timestamp,
  duration_seconds float64,
  rows_processed int64,
  error_message string,
  trigger string,                    -- scheduler | http
  request_params string,             -- the validated request body, JSON text
  counts string,                     -- rows written by table / kind, JSON text
  errors string,                     -- per-scope errors, JSON text
  pending_scopes string              -- scopes that stopped at the time budget and resume next run, JSON text
)
partition by date(started_at)
cluster by function_name, status
options (description = 'Run ledger: one row per function invocation');
