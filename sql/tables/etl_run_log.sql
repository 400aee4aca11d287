-- The run ledger's append-only log: a `running` row when a run starts and one row when it ends (or when the
-- next run of the same function finds it abandoned). Rows are only ever inserted, so functions on overlapping
-- schedules never contend for it under BigQuery's DML concurrency rules; etl_runs is its latest state.
-- key: run_id, recorded_at
-- grain: one state of one invocation
create table if not exists etl_run_log (
  run_id string not null,
  function_name string not null,
  source_system string,
  status string not null,            -- running | success | partial | failed | abandoned | skipped
  started_at timestamp not null,
  deadline_at timestamp,             -- started_at + the function's timeout + a margin: still running after it = abandoned
  completed_at timestamp,
  duration_seconds float64,
  rows_processed int64,
  error_message string,
  trigger string,                    -- scheduler | http
  request_params string,             -- the validated request body, JSON text
  counts string,                     -- rows written by table / kind, JSON text
  errors string,                     -- per-scope errors, JSON text
  pending_scopes string,             -- scopes that stopped at the time budget and resume next run, JSON text
  exclusive bool,                    -- the run holds its function while running (a search does not); NULL: true
  recorded_at timestamp not null
)
partition by date(started_at)
cluster by function_name, run_id
options (description = 'Run ledger log: append-only states of each function invocation');
