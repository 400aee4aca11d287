-- Ledger: a run ends (append-only; etl_runs shows the latest row of each run).
insert into etl_run_log (
  run_id, function_name, source_system, status, started_at, deadline_at, completed_at, duration_seconds,
  rows_processed, error_message, trigger, request_params, counts, errors, pending_scopes, recorded_at
)
select
  run_id,
  function_name,
  source_system,
  cast(@status as string),
  started_at,
  deadline_at,
  cast(@completed_at as timestamp),
  cast(@duration_seconds as float64),
  cast(@rows_processed as int64),
  cast(@error_message as string),
  trigger,
  request_params,
  cast(@counts as string),
  cast(@errors as string),
  cast(@pending_scopes as string),
  cast(@completed_at as timestamp),
from etl_run_log
where run_id = @run_id and status = 'running'
