-- salesforce-sync: after a completed full listing of Task, flag the live rows that listing did not return as
-- deleted at the source (hard-deleted: queryAll no longer shows them). Rows are kept.
update sf_tasks
set
  is_deleted = true,
  deleted_at = cast(@deleted_at as timestamp),
  _synced_at = cast(@synced_at as timestamp),
  _run_id = @run_id
where not is_deleted
  and task_id not in (
    select seen.record_id
    from sf_listing_seen as seen
    where seen.listing_id = @listing_id
      and seen.object_type = 'Task'
  )
