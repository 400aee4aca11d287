insert into etl_runs (run_id, function_name, source_system, status, started_at, trigger, request_params)
values (@run_id, @function_name, @source_system, 'running', @started_at, @trigger, @request_params)
