-- Rebuild fct_usage_daily from the raw tables: Anthropic API usage per key (its owner on that day from
-- dim_api_keys), Claude Code per actor and model (remote and local records of an actor-day summed), Cursor per
-- active member-day. Only changed rows are written.
merge into fct_usage_daily as t
using (
  with owners as (
    select api_key_id, valid_from, valid_to, user_email from dim_api_keys
  ),

  named_keys as (
    select
      api_key_name,
      any_value(api_key_id) as api_key_id,
      any_value(workspace_id) as workspace_id,
    from raw_anthropic_api_keys
    group by api_key_name
    having count(*) = 1
  ),

  api_usage as (
    select
      date(u.bucket_start) as usage_date,
      nullif(u.api_key_id, '') as api_key_id,
      nullif(u.workspace_id, '') as workspace_id,
      nullif(u.model, '') as model,
      sum(u.uncached_input_tokens) as uncached_input_tokens,
      sum(u.cache_read_input_tokens) as cache_read_input_tokens,
      sum(u.cache_creation_5m_input_tokens) as cache_creation_5m_input_tokens,
      sum(u.cache_creation_1h_input_tokens) as cache_creation_1h_input_tokens,
      sum(u.output_tokens) as output_tokens,
      sum(u.web_search_requests) as web_search_requests,
    from raw_anthropic_usage as u
    group by 1, 2, 3, 4
  ),

  api as (
    select
      a.usage_date,
      'anthropic_api' as platform,
      o.user_email,
      a.api_key_id,
      a.workspace_id,
      a.model,
      a.uncached_input_tokens,
      a.cache_read_input_tokens,
      a.cache_creation_5m_input_tokens,
      a.cache_creation_1h_input_tokens,
      a.cache_creation_5m_input_tokens + a.cache_creation_1h_input_tokens as cache_creation_input_tokens,
      a.output_tokens,
      a.web_search_requests,
      cast(null as int64) as requests,
      cast(null as int64) as sessions,
      cast(null as int64) as lines_added,
      cast(null as int64) as lines_accepted,
      cast(null as int64) as accepts,
      cast(null as int64) as applies,
    from api_usage as a
    left join owners as o
      on o.api_key_id = a.api_key_id
      and a.usage_date >= o.valid_from
      and (o.valid_to is null or a.usage_date <= o.valid_to)
  ),

  claude_code_models as (
    select
      c.usage_date,
      c.actor_type,
      c.actor_id,
      c.user_email,
      c.api_key_name,
      c.num_sessions,
      c.lines_added,
      c.tool_accepted,
      c.tool_rejected,
      m.model,
      m.input_tokens,
      m.output_tokens,
      m.cache_read_tokens,
      m.cache_creation_tokens,
      row_number() over (
        partition by c.usage_date, c.actor_type, c.actor_id, c.is_remote
        order by m.input_tokens + m.output_tokens + m.cache_read_tokens + m.cache_creation_tokens desc, m.model
      ) as model_rank,
    from raw_anthropic_claude_code as c
    cross join unnest(c.model_breakdown) as m
  ),

  claude_code as (
    select
      c.usage_date,
      'claude_code' as platform,
      coalesce(c.user_email, o.user_email) as user_email,
      k.api_key_id,
      k.workspace_id,
      nullif(c.model, '') as model,
      c.input_tokens as uncached_input_tokens,
      c.cache_read_tokens as cache_read_input_tokens,
      cast(null as int64) as cache_creation_5m_input_tokens,
      cast(null as int64) as cache_creation_1h_input_tokens,
      c.cache_creation_tokens as cache_creation_input_tokens,
      c.output_tokens,
      cast(null as int64) as web_search_requests,
      cast(null as int64) as requests,
      if(c.model_rank = 1, c.num_sessions, null) as sessions,
      if(c.model_rank = 1, c.lines_added, null) as lines_added,
      if(c.model_rank = 1, c.lines_added, null) as lines_accepted,
      if(c.model_rank = 1, c.tool_accepted, null) as accepts,
      if(c.model_rank = 1, c.tool_accepted + c.tool_rejected, null) as applies,
    from claude_code_models as c
    left join named_keys as k on c.actor_type = 'api_actor' and k.api_key_name = c.api_key_name
    left join owners as o
      on o.api_key_id = k.api_key_id
      and c.usage_date >= o.valid_from
      and (o.valid_to is null or c.usage_date <= o.valid_to)
  ),

  cursor_days as (
    select
      usage_date,
      'cursor' as platform,
      user_email,
      cast(null as string) as api_key_id,
      cast(null as string) as workspace_id,
      most_used_model as model,
      cast(null as int64) as uncached_input_tokens,
      cast(null as int64) as cache_read_input_tokens,
      cast(null as int64) as cache_creation_5m_input_tokens,
      cast(null as int64) as cache_creation_1h_input_tokens,
      cast(null as int64) as cache_creation_input_tokens,
      cast(null as int64) as output_tokens,
      cast(null as int64) as web_search_requests,
      coalesce(subscription_included_reqs, 0) + coalesce(usage_based_reqs, 0) + coalesce(api_key_reqs, 0)
        as requests,
      cast(null as int64) as sessions,
      total_lines_added as lines_added,
      accepted_lines_added as lines_accepted,
      total_accepts as accepts,
      total_applies as applies,
    from raw_cursor_usage
    where is_active
  ),

  unioned as (
    select * from api
    union all
    select * from claude_code
    union all
    select * from cursor_days
  ),

  final as (
    select
      usage_date,
      platform,
      user_email,
      api_key_id,
      any_value(workspace_id) as workspace_id,
      model,
      coalesce(user_email, '') as user_key,
      coalesce(api_key_id, '') as api_key_key,
      coalesce(model, '') as model_key,
      sum(uncached_input_tokens) as uncached_input_tokens,
      sum(cache_read_input_tokens) as cache_read_input_tokens,
      sum(cache_creation_5m_input_tokens) as cache_creation_5m_input_tokens,
      sum(cache_creation_1h_input_tokens) as cache_creation_1h_input_tokens,
      sum(cache_creation_input_tokens) as cache_creation_input_tokens,
      sum(output_tokens) as output_tokens,
      sum(web_search_requests) as web_search_requests,
      sum(requests) as requests,
      sum(sessions) as sessions,
      sum(lines_added) as lines_added,
      sum(lines_accepted) as lines_accepted,
      sum(accepts) as accepts,
      sum(applies) as applies,
      safe_divide(sum(accepts), sum(applies)) as acceptance_rate,
    from unioned
    group by usage_date, platform, user_email, api_key_id, model
  )

  select * from final
) as s
on t.usage_date = s.usage_date
  and t.platform = s.platform
  and t.user_key = s.user_key
  and t.api_key_key = s.api_key_key
  and t.model_key = s.model_key
when matched and (
  t.workspace_id is distinct from s.workspace_id
  or t.uncached_input_tokens is distinct from s.uncached_input_tokens
  or t.cache_read_input_tokens is distinct from s.cache_read_input_tokens
  or t.cache_creation_5m_input_tokens is distinct from s.cache_creation_5m_input_tokens
  or t.cache_creation_1h_input_tokens is distinct from s.cache_creation_1h_input_tokens
  or t.cache_creation_input_tokens is distinct from s.cache_creation_input_tokens
  or t.output_tokens is distinct from s.output_tokens
  or t.web_search_requests is distinct from s.web_search_requests
  or t.requests is distinct from s.requests
  or t.sessions is distinct from s.sessions
  or t.lines_added is distinct from s.lines_added
  or t.lines_accepted is distinct from s.lines_accepted
  or t.accepts is distinct from s.accepts
  or t.applies is distinct from s.applies
  or t.acceptance_rate is distinct from s.acceptance_rate
) then update set
  workspace_id = s.workspace_id,
  uncached_input_tokens = s.uncached_input_tokens,
  cache_read_input_tokens = s.cache_read_input_tokens,
  cache_creation_5m_input_tokens = s.cache_creation_5m_input_tokens,
  cache_creation_1h_input_tokens = s.cache_creation_1h_input_tokens,
  cache_creation_input_tokens = s.cache_creation_input_tokens,
  output_tokens = s.output_tokens,
  web_search_requests = s.web_search_requests,
  requests = s.requests,
  sessions = s.sessions,
  lines_added = s.lines_added,
  lines_accepted = s.lines_accepted,
  accepts = s.accepts,
  applies = s.applies,
  acceptance_rate = s.acceptance_rate,
  updated_at = @now
when not matched then insert (
  usage_date, platform, user_email, api_key_id, workspace_id, model, user_key, api_key_key, model_key,
  uncached_input_tokens, cache_read_input_tokens, cache_creation_5m_input_tokens, cache_creation_1h_input_tokens,
  cache_creation_input_tokens, output_tokens, web_search_requests, requests, sessions, lines_added, lines_accepted,
  accepts, applies, acceptance_rate, updated_at
) values (
  s.usage_date, s.platform, s.user_email, s.api_key_id, s.workspace_id, s.model, s.user_key, s.api_key_key,
  s.model_key, s.uncached_input_tokens, s.cache_read_input_tokens, s.cache_creation_5m_input_tokens,
  s.cache_creation_1h_input_tokens, s.cache_creation_input_tokens, s.output_tokens, s.web_search_requests,
  s.requests, s.sessions, s.lines_added, s.lines_accepted, s.accepts, s.applies, s.acceptance_rate, @now
)
when not matched by source then delete
