-- salesforce-sync: how many rows one run's full-listing reconciliation flagged deleted (for the run's counts).
with flagged as (
  select 'Account' as object_type, _run_id, deleted_at from sf_accounts where is_deleted
  union all
  select 'Contact', _run_id, deleted_at from sf_contacts where is_deleted
  union all
  select 'Lead', _run_id, deleted_at from sf_leads where is_deleted
  union all
  select 'Opportunity', _run_id, deleted_at from sf_opportunities where is_deleted
  union all
  select 'Task', _run_id, deleted_at from sf_tasks where is_deleted
  union all
  select 'Event', _run_id, deleted_at from sf_events where is_deleted
  union all
  select 'EmailMessage', _run_id, deleted_at from sf_email_messages where is_deleted
),

final as (
  select count(*) as flagged
  from flagged
  where object_type = @object_type
    and _run_id = @run_id
    and deleted_at = cast(@deleted_at as timestamp)
)

select * from final
