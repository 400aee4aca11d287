-- One row per function invocation: the operators' run ledger, the latest state of each run in etl_run_log.
-- A run still `running` past its deadline (its function's timeout plus a margin) was stopped without closing
-- (timeout, out of memory, instance crash) and shows as `abandoned`; the next run of the function records it so.
create or replace view etl_runs as
with latest as (
  select *
  from etl_run_log
  where true  -- BigQuery wants WHERE, GROUP BY or HAVING beside QUALIFY
  qualify row_number() over (
    partition by run_id order by recorded_at desc, if(status = 'running', 1, 0), status
  ) = 1
),

final as (
  select
    run_id,
    function_name,
    source_system,
    if(status = 'running' and deadline_at < current_timestamp(), 'abandoned', status) as status,
    started_at,
    completed_at,
    duration_seconds,
    rows_processed,
    if(
      status = 'running' and deadline_at < current_timestamp(),
      'abandoned: still running past its deadline (the function timeout and a margin)',
      error_message
    ) as error_message,
    trigger,
    request_params,
    counts,
    errors,
    pending_scopes,
    deadline_at,
  from latest
)

select * from final
