-- Reliability harness: every run of one function with its final state, oldest first.
select run_id, status, started_at, completed_at,
from etl_runs
where function_name = @function_name
order by started_at
