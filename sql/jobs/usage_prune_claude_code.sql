-- After a re-collection: drop Claude Code actor-days of the re-collected days that the API no longer returns.
delete from raw_anthropic_claude_code
where usage_date in unnest(@days)
  and concat(cast(usage_date as string), '|', actor_type, '|', actor_id) not in unnest(@keys)
