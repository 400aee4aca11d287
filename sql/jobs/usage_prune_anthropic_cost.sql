-- After a re-collection: drop cost items of the re-collected days that the API no longer returns.
delete from raw_anthropic_cost
where date(bucket_start) in unnest(@days)
  and concat(cast(date(bucket_start) as string), '|', workspace_id, '|', description) not in unnest(@keys)
