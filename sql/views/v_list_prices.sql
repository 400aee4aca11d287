-- Anthropic list prices in USD per million units (tokens; web search: requests), versioned by validity dates.
-- Used only as weights to share a workspace-day's reported cost among its keys, so a stale price shifts
-- shares between keys but never changes the total. model '*' prices models missing from the list.
-- Batch-tier tokens cost half; web search is not discounted. Add a version by closing valid_to on the old
-- rows and adding new rows.
create or replace view v_list_prices as
with standard as (
  select *
  from unnest([
    struct('2025-10' as price_version, 'claude-opus-4-1-20250805' as model, date '2025-08-05' as valid_from,
      cast(null as date) as valid_to, 15.0 as input_usd, 75.0 as output_usd, 18.75 as cache_write_5m_usd,
      30.0 as cache_write_1h_usd, 1.50 as cache_read_usd),
    struct('2025-10', 'claude-opus-4-20250514', date '2025-05-14', cast(null as date), 15.0, 75.0, 18.75, 30.0, 1.50),
    struct('2025-10', 'claude-sonnet-4-5-20250929', date '2025-09-29', cast(null as date), 3.0, 15.0, 3.75, 6.0, 0.30),
    struct('2025-10', 'claude-sonnet-4-20250514', date '2025-05-14', cast(null as date), 3.0, 15.0, 3.75, 6.0, 0.30),
    struct('2025-10', 'claude-3-7-sonnet-20250219', date '2025-02-19', cast(null as date), 3.0, 15.0, 3.75, 6.0, 0.30),
    struct('2025-10', 'claude-haiku-4-5-20251001', date '2025-10-01', cast(null as date), 1.0, 5.0, 1.25, 2.0, 0.10),
    struct('2025-10', 'claude-3-5-haiku-20241022', date '2024-10-22', cast(null as date), 0.80, 4.0, 1.0, 1.6, 0.08),
    struct('2025-10', '*', date '2024-01-01', cast(null as date), 3.0, 15.0, 3.75, 6.0, 0.30)
  ])
),

tiers as (
  select *
  from unnest([
    struct('standard' as service_tier, 1.0 as token_factor),
    struct('batch', 0.5),
    struct('priority', 1.0)
  ])
),

token_classes as (
  select
    s.price_version,
    s.model,
    t.service_tier,
    s.valid_from,
    s.valid_to,
    token_class,
    case token_class
      when 'uncached_input' then s.input_usd
      when 'output' then s.output_usd
      when 'cache_write_5m' then s.cache_write_5m_usd
      when 'cache_write_1h' then s.cache_write_1h_usd
      when 'cache_read' then s.cache_read_usd
    end * t.token_factor as usd_per_million,
  from standard as s
  cross join tiers as t
  cross join unnest(['uncached_input', 'output', 'cache_write_5m', 'cache_write_1h', 'cache_read']) as token_class
),

web_search as (
  select
    s.price_version,
    s.model,
    t.service_tier,
    s.valid_from,
    s.valid_to,
    'web_search_requests' as token_class,
    10000.0 as usd_per_million,        -- $10 per 1,000 searches
  from standard as s
  cross join tiers as t
),

final as (
  select
    price_version,
    model,
    service_tier,
    token_class,
    cast(usd_per_million as numeric) as usd_per_million,
    valid_from,
    valid_to,
  from token_classes
  union all
  select
    price_version,
    model,
    service_tier,
    token_class,
    cast(usd_per_million as numeric),
    valid_from,
    valid_to,
  from web_search
)

select * from final
