-- Today's spend snapshot replaces an earlier one of the same day: drop members it no longer lists.
delete from raw_cursor_spend
where snapshot_date in unnest(@days)
  and concat(cast(snapshot_date as string), '|', user_email) not in unnest(@keys)
