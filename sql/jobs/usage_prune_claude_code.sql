-- After a re-collection: drop Claude Code actor-days (remote or local) of the re-collected days that the API no
-- longer returns, and rows stored before is_remote existed (null), which the re-collected rows replace.
delete from raw_anthropic_claude_code
where usage_date in unnest(@days)
  and (
    is_remote is null
    or concat(cast(usage_date as string), '|', actor_type, '|', actor_id, '|', cast(is_remote as string))
      not in unnest(@keys)
  )
