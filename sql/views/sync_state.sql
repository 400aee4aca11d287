-- Incremental cursors: the latest saved value per job and scope (see sync_state_log).
create or replace view sync_state as
with final as (
  select job, scope, cursor_value, updated_at, run_id,
  from sync_state_log
  where true  -- BigQuery wants WHERE, GROUP BY or HAVING beside QUALIFY
  qualify row_number() over (partition by job, scope order by updated_at desc) = 1
)

select * from final
