-- After a re-collection: drop rows of the re-collected days that the API no longer returns.
-- @days: the days that came back with data; @keys: every row key collected for them (see usage_rows.usage_key).
delete from raw_anthropic_usage
where date(bucket_start) in unnest(@days)
  and concat(cast(date(bucket_start) as string), '|', api_key_id, '|', workspace_id, '|', model, '|', service_tier)
    not in unnest(@keys)
