-- Latest run of each function and of each scope inside it: status, duration, rows.
-- scope '*' is the run as a whole. A run is `abandoned` when it never closed (stopped at its timeout, out of
-- memory, crashed); a scope is `pending` when it stopped at the time budget and resumes from its checkpoint, and
-- the run lists such scopes in pending_scopes. Skipped runs (another run held the function) are left out: the
-- run that held it is the one to show.
create or replace view v_etl_status as
with runs as (
  select
    function_name,
    '*' as scope,
    run_id,
    status,
    started_at,
    completed_at,
    duration_seconds,
    rows_processed,
    error_message,
    trigger,
    pending_scopes,
  from etl_runs
  where status != 'skipped'
),

scopes as (
  select
    s.function_name,
    s.scope,
    s.run_id,
    s.status,
    r.started_at,
    s.completed_at,
    r.duration_seconds,
    s.rows_processed,
    s.error_message,
    r.trigger,
    cast(null as string) as pending_scopes,
  from etl_run_scopes as s
  join etl_runs as r using (run_id)
),

unioned as (
  select * from runs
  union all
  select * from scopes
),

final as (
  select *
  from unioned
  where true  -- BigQuery wants WHERE, GROUP BY or HAVING beside QUALIFY
  qualify row_number() over (partition by function_name, scope order by started_at desc, run_id desc) = 1
)

select * from final
