-- Ledger: a run starts (append-only; see etl_run_log).
insert into etl_run_log (
  run_id, function_name, source_system, status, started_at, deadline_at, trigger, request_params, exclusive,
  recorded_at
)
values (
  @run_id, @function_name, @source_system, 'running', @started_at, @deadline_at, @trigger, @request_params,
  @exclusive, @started_at
)
