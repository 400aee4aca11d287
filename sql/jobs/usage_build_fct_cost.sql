-- Rebuild fct_cost_daily from the raw tables. Only changed rows are written.
-- anthropic_api: each workspace-day's reported cost is shared among its (key, model, tier) usage rows in
-- proportion to their usage at list prices (v_list_prices); shares are rounded to NUMERIC's 9 places and the
-- rounding remainder goes to the largest share, so the shares sum exactly to the reported amount. Reported cost
-- without priced usage stays as one unallocated row. claude_code: Anthropic's estimate for subscription seats,
-- remote and local records of an actor-day summed (an 'api' customer's Claude Code spend is already in the cost
-- report). cursor: the charged cents of each member's usage events per day and model (raw_cursor_usage_events),
-- so any past day, including the days of a finished billing cycle, is costed; the cycle's spend snapshot is only
-- the reconciliation check (v_cursor_spend_reconciliation).
merge into fct_cost_daily as t
using (
  with owners as (
    select api_key_id, valid_from, valid_to, user_email from dim_api_keys
  ),

  prices as (
    select
      model,
      service_tier,
      valid_from,
      coalesce(valid_to, date '9999-12-31') as valid_to,
      max(if(token_class = 'uncached_input', usd_per_million, null)) as input_usd,
      max(if(token_class = 'output', usd_per_million, null)) as output_usd,
      max(if(token_class = 'cache_write_5m', usd_per_million, null)) as cache_write_5m_usd,
      max(if(token_class = 'cache_write_1h', usd_per_million, null)) as cache_write_1h_usd,
      max(if(token_class = 'cache_read', usd_per_million, null)) as cache_read_usd,
      max(if(token_class = 'web_search_requests', usd_per_million, null)) as web_search_usd,
    from v_list_prices
    group by 1, 2, 3, 4
  ),

  usage as (
    select
      date(u.bucket_start) as cost_date,
      u.workspace_id,
      u.api_key_id,
      u.model,
      u.service_tier,
      u.uncached_input_tokens,
      u.output_tokens,
      u.cache_creation_5m_input_tokens,
      u.cache_creation_1h_input_tokens,
      u.cache_read_input_tokens,
      u.web_search_requests,
    from raw_anthropic_usage as u
  ),

  priced as (
    select
      u.cost_date,
      u.workspace_id,
      u.api_key_id,
      u.model,
      cast((
        u.uncached_input_tokens * coalesce(p.input_usd, d.input_usd)
        + u.output_tokens * coalesce(p.output_usd, d.output_usd)
        + u.cache_creation_5m_input_tokens * coalesce(p.cache_write_5m_usd, d.cache_write_5m_usd)
        + u.cache_creation_1h_input_tokens * coalesce(p.cache_write_1h_usd, d.cache_write_1h_usd)
        + u.cache_read_input_tokens * coalesce(p.cache_read_usd, d.cache_read_usd)
        + u.web_search_requests * coalesce(p.web_search_usd, d.web_search_usd)
      ) / 1000000 as numeric) as list_cost_usd,
    from usage as u
    left join prices as p
      on p.model = u.model
      and p.service_tier = if(u.service_tier in ('batch', 'priority'), u.service_tier, 'standard')
      and u.cost_date between p.valid_from and p.valid_to
    left join prices as d
      on d.model = '*'
      and d.service_tier = if(u.service_tier in ('batch', 'priority'), u.service_tier, 'standard')
      and u.cost_date between d.valid_from and d.valid_to
  ),

  reported as (
    select
      date(bucket_start) as cost_date,
      workspace_id,
      sum(amount_usd) as reported_usd,
    from raw_anthropic_cost
    group by 1, 2
  ),

  weighted as (
    select
      p.*,
      r.reported_usd,
      sum(p.list_cost_usd) over (partition by p.cost_date, p.workspace_id) as workspace_list_usd,
      row_number() over (
        partition by p.cost_date, p.workspace_id order by p.list_cost_usd desc, p.api_key_id, p.model
      ) as share_rank,
    from priced as p
    join reported as r using (cost_date, workspace_id)
  ),

  shares as (
    select
      *,
      cast(round(safe_divide(reported_usd * list_cost_usd, workspace_list_usd), 9) as numeric) as rounded_usd,
    from weighted
    where workspace_list_usd > 0
  ),

  api_allocated as (
    select
      s.cost_date,
      'anthropic_api' as platform,
      o.user_email,
      nullif(s.api_key_id, '') as api_key_id,
      nullif(s.workspace_id, '') as workspace_id,
      nullif(s.model, '') as model,
      s.rounded_usd + if(
        s.share_rank = 1,
        s.reported_usd - sum(s.rounded_usd) over (partition by s.cost_date, s.workspace_id),
        0
      ) as cost_usd,
      s.list_cost_usd,
      'reported_allocated' as cost_basis,
    from shares as s
    left join owners as o
      on o.api_key_id = s.api_key_id
      and s.cost_date >= o.valid_from
      and (o.valid_to is null or s.cost_date <= o.valid_to)
  ),

  api_unallocated as (
    select
      r.cost_date,
      'anthropic_api' as platform,
      cast(null as string) as user_email,
      cast(null as string) as api_key_id,
      nullif(r.workspace_id, '') as workspace_id,
      cast(null as string) as model,
      r.reported_usd as cost_usd,
      cast(null as numeric) as list_cost_usd,
      'reported_unallocated' as cost_basis,
    from reported as r
    where not exists (
      select 1
      from weighted as w
      where w.cost_date = r.cost_date and w.workspace_id = r.workspace_id and w.workspace_list_usd > 0
    )
  ),

  claude_code as (
    select
      c.usage_date as cost_date,
      'claude_code' as platform,
      coalesce(c.user_email, o.user_email) as user_email,
      k.api_key_id,
      k.workspace_id,
      nullif(m.model, '') as model,
      m.estimated_cost_usd as cost_usd,
      cast(null as numeric) as list_cost_usd,
      'estimated' as cost_basis,
    from raw_anthropic_claude_code as c
    cross join unnest(c.model_breakdown) as m
    left join (
      select api_key_name, any_value(api_key_id) as api_key_id, any_value(workspace_id) as workspace_id,
      from raw_anthropic_api_keys
      group by api_key_name
      having count(*) = 1
    ) as k on c.actor_type = 'api_actor' and k.api_key_name = c.api_key_name
    left join owners as o
      on o.api_key_id = k.api_key_id
      and c.usage_date >= o.valid_from
      and (o.valid_to is null or c.usage_date <= o.valid_to)
    where coalesce(c.customer_type, 'subscription') != 'api'
      and m.estimated_cost_usd is not null
  ),

  cursor_events as (
    select
      usage_date as cost_date,
      'cursor' as platform,
      user_email,
      cast(null as string) as api_key_id,
      cast(null as string) as workspace_id,
      nullif(model, '') as model,
      charged_usd as cost_usd,
      cast(null as numeric) as list_cost_usd,
      'usage_events' as cost_basis,
    from raw_cursor_usage_events
    where charged_usd != 0
  ),

  unioned as (
    select * from api_allocated
    union all
    select * from api_unallocated
    union all
    select * from claude_code
    union all
    select * from cursor_events
  ),

  final as (
    select
      cost_date,
      platform,
      user_email,
      api_key_id,
      workspace_id,
      model,
      coalesce(user_email, '') as user_key,
      coalesce(api_key_id, '') as api_key_key,
      coalesce(model, '') as model_key,
      coalesce(workspace_id, '') as workspace_key,
      sum(cost_usd) as cost_usd,
      sum(list_cost_usd) as list_cost_usd,
      min(cost_basis) as cost_basis,
    from unioned
    group by cost_date, platform, user_email, api_key_id, workspace_id, model
  )

  select * from final
) as s
on t.cost_date = s.cost_date
  and t.platform = s.platform
  and t.user_key = s.user_key
  and t.api_key_key = s.api_key_key
  and t.model_key = s.model_key
  and t.workspace_key = s.workspace_key
when matched and (
  t.cost_usd is distinct from s.cost_usd
  or t.list_cost_usd is distinct from s.list_cost_usd
  or t.cost_basis is distinct from s.cost_basis
) then update set
  cost_usd = s.cost_usd,
  list_cost_usd = s.list_cost_usd,
  cost_basis = s.cost_basis,
  updated_at = @now
when not matched then insert (
  cost_date, platform, user_email, api_key_id, workspace_id, model, user_key, api_key_key, model_key,
  workspace_key, cost_usd, list_cost_usd, cost_basis, updated_at
) values (
  s.cost_date, s.platform, s.user_email, s.api_key_id, s.workspace_id, s.model, s.user_key, s.api_key_key,
  s.model_key, s.workspace_key, s.cost_usd, s.list_cost_usd, s.cost_basis, @now
)
when not matched by source then delete
