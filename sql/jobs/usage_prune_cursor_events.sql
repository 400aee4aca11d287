-- After a request window of usage events arrived whole: drop events of its days that the API no longer returns.
delete from raw_cursor_usage_events
where usage_date in unnest(@days)
  and concat(cast(unix_millis(event_at) as string), '|', user_email, '|', model) not in unnest(@keys)
