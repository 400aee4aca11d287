-- Latest run per function
select
  function_name,
  status,
  rows_processed,
  round(duration_seconds, 2) as seconds,
from v_etl_status
where scope = '*'
order by started_at
