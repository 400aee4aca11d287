-- Ledger: the other runs of a function whose latest state is still `running`. Those past their deadline were
-- stopped before they could close (timeout, out of memory, instance crash): the run that finds them records them
-- abandoned. An exclusive one within its deadline that started before @now (the new run's start; ties broken by run id)
-- holds the function: the new run is skipped (RunLedger.start).
select
  run_id,
  started_at,
  deadline_at,
  deadline_at < @now as past_deadline,
  coalesce(exclusive, true) and (started_at < @now or (started_at = @now and run_id < @run_id)) as holds,
from (
  select
    run_id,
    status,
    started_at,
    deadline_at,
    exclusive,
    row_number() over (partition by run_id order by recorded_at desc, if(status = 'running', 1, 0)) as recency,
  from etl_run_log
  where function_name = @function_name
)
where recency = 1
  and status = 'running'
  and run_id != @run_id
