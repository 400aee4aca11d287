-- Functions whose last two or more scheduled runs (running ones aside) all failed or were abandoned (never
-- closed: stopped at the timeout, out of memory, crashed). A run that stopped at its time budget with scopes
-- pending is progress, not a failure; a run skipped because another run held the function is neither.
create or replace view v_pipeline_health as
with scheduled as (
  select
    function_name,
    status,
    started_at,
    error_message,
    row_number() over (partition by function_name order by started_at desc, run_id desc) as recency,
  from etl_runs
  where trigger = 'scheduler' and status not in ('running', 'skipped')
),

streaks as (
  select
    function_name,
    coalesce(min(if(status not in ('failed', 'abandoned'), recency, null)) - 1, max(recency)) as consecutive_failures,
    max(if(recency = 1, started_at, null)) as last_run_at,
    max(if(recency = 1, error_message, null)) as last_error_message,
  from scheduled
  group by function_name
),

final as (
  select *
  from streaks
  where consecutive_failures >= 2
)

select * from final
