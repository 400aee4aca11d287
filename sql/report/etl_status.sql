-- Latest run of every function and of each scope inside it (v_etl_status; scope '*' is the run as a whole)
select
  function_name,
  scope,
  status,
  started_at,
  completed_at,
  duration_seconds,
  rows_processed,
  error_message,
  pending_scopes,
from v_etl_status
order by function_name, if(scope = '*', 0, 1), scope
