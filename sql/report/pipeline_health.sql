-- Functions whose last two or more scheduled runs all failed or were abandoned (v_pipeline_health)
select
  function_name,
  consecutive_failures,
  last_run_at,
  last_error_message,
from v_pipeline_health
order by consecutive_failures desc, function_name
