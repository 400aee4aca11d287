-- Ledger: record runs found abandoned (see ledger_open_runs.sql) as such. Append-only, like every ledger write.
insert into etl_run_log (
  run_id, function_name, source_system, status, started_at, deadline_at, error_message, trigger, request_params,
  recorded_at
)
select
  run_id,
  function_name,
  source_system,
  'abandoned',
  started_at,
  deadline_at,
  cast(@error_message as string),
  trigger,
  request_params,
  cast(@now as timestamp),
from etl_run_log
where run_id in unnest(@run_ids) and status = 'running'
