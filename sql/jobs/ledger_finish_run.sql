update etl_runs
set
  status = @status,
  completed_at = @completed_at,
  duration_seconds = @duration_seconds,
  rows_processed = @rows_processed,
  error_message = @error_message,
  counts = @counts,
  errors = @errors,
  pending_scopes = @pending_scopes
where run_id = @run_id
