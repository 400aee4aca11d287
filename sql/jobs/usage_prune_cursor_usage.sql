-- After a re-collection: drop Cursor member-days of the re-collected days that the API no longer returns.
delete from raw_cursor_usage
where usage_date in unnest(@days)
  and concat(cast(usage_date as string), '|', user_email) not in unnest(@keys)
