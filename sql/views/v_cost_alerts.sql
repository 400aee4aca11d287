-- Alert candidates as of the latest evaluation (alert_rules.evaluated_at, written by usage-collect with the
-- thresholds in force; now when never evaluated). Each has a deterministic alert_key, so usage-collect raises
-- each alert once (jobs/usage_alerts_raise.sql). Cost rules look at the last complete day with cost:
-- mom_increase: month-to-date cost vs the same days of last month, above the warning or critical %;
-- projected_month: the run-rate forecast of the month above the threshold (USD);
-- daily_spike: a recent day's cost more than the threshold (USD) above the median of the days before it;
-- attribution_coverage: share of month-to-date cost attributed to people below the threshold (%); its summary
-- states that threshold and, separately, the coverage target (v_attribution_coverage.target_pct);
-- stale_source: no new or changed rows from a source for more than the threshold (hours).
create or replace view v_cost_alerts as
with rules as (
  select * from alert_rules
),

evaluation as (
  select coalesce(max(evaluated_at), current_timestamp()) as evaluated_at from alert_rules
),

latest as (
  select *
  from v_daily_cost
  where true
  qualify row_number() over (order by cost_date desc) = 1
),

mom as (
  select
    'mom_increase' as alert_type,
    r.severity,
    l.cost_date as as_of_date,
    format_date('%Y-%m', l.month) as subject,
    l.mom_change_pct as metric_value,
    r.threshold,
    concat('Month-to-date AI cost ', cast(round(cast(l.mtd_cost_usd as float64), 2) as string), ' USD is ',
      cast(l.mom_change_pct as string), '% above the same days of last month (',
      cast(round(cast(l.previous_mtd_cost_usd as float64), 2) as string), ' USD)') as summary,
  from latest as l
  join rules as r on r.alert_type = 'mom_increase'
  where l.mom_change_pct > r.threshold
  qualify row_number() over (order by r.threshold desc) = 1
),

projection as (
  select
    'projected_month' as alert_type,
    r.severity,
    l.cost_date as as_of_date,
    format_date('%Y-%m', l.month) as subject,
    cast(l.projected_month_usd as float64) as metric_value,
    r.threshold,
    concat('AI cost is projected at ', cast(round(cast(l.projected_month_usd as float64), 2) as string),
      ' USD (+/- ', cast(l.projection_margin_usd as string), ') for ', format_date('%Y-%m', l.month), ', above ',
      cast(r.threshold as string), ' USD') as summary,
  from latest as l
  join rules as r on r.alert_type = 'projected_month'
  where l.projected_month_usd > r.threshold
),

target as (
  select max(target_pct) as target_pct from v_attribution_coverage
),

coverage as (
  select
    'attribution_coverage' as alert_type,
    r.severity,
    l.cost_date as as_of_date,
    format_date('%Y-%m', l.month) as subject,
    l.mtd_coverage_pct as metric_value,
    r.threshold,
    concat('Only ', cast(l.mtd_coverage_pct as string), '% of month-to-date AI cost is attributed to people: ',
      'below the alert threshold of ', cast(r.threshold as string), '% (the target is ',
      cast(t.target_pct as string), '%)') as summary,
  from latest as l
  join rules as r on r.alert_type = 'attribution_coverage'
  cross join target as t
  where l.mtd_coverage_pct < r.threshold
),

spike_window as (
  select
    d.cost_date,
    d.cost_usd,
    r.severity,
    r.threshold,
    count(*) over (partition by d.cost_date) as prior_days,
    percentile_cont(cast(b.cost_usd as float64), 0.5) over (partition by d.cost_date) as median_usd,
  from v_daily_cost as d
  join rules as r on r.alert_type = 'daily_spike'
  join v_daily_cost as b
    on b.cost_date between date_sub(d.cost_date, interval r.window_days day) and date_sub(d.cost_date, interval 1 day)
  where d.cost_date > date_sub((select cost_date from latest), interval r.lookback_days day)
  qualify row_number() over (partition by d.cost_date order by b.cost_date) = 1
),

spike as (
  select
    'daily_spike' as alert_type,
    severity,
    cost_date as as_of_date,
    cast(cost_date as string) as subject,
    round(cast(cost_usd as float64) - median_usd, 2) as metric_value,
    threshold,
    concat('AI cost on ', cast(cost_date as string), ' was ', cast(round(cast(cost_usd as float64), 2) as string),
      ' USD, ', cast(round(cast(cost_usd as float64) - median_usd, 2) as string),
      ' USD above the median of the days before it') as summary,
  from spike_window
  where prior_days >= 7 and cast(cost_usd as float64) - median_usd > threshold
),

loads as (
  select 'anthropic' as source, collected_at from raw_anthropic_usage
  union all
  select 'anthropic', collected_at from raw_anthropic_cost
  union all
  select 'cursor', collected_at from raw_cursor_usage
),

last_new_data as (
  select
    source,
    max(collected_at) as last_new_data_at,
  from loads
  where collected_at <= (select evaluated_at from evaluation)
  group by source
),

stale as (
  select
    'stale_source' as alert_type,
    r.severity,
    date(l.last_new_data_at) as as_of_date,
    l.source as subject,
    cast(timestamp_diff((select evaluated_at from evaluation), l.last_new_data_at, hour) as float64)
      as metric_value,
    r.threshold,
    concat('No new ', l.source, ' data since ', cast(l.last_new_data_at as string)) as summary,
  from last_new_data as l
  join rules as r on r.alert_type = 'stale_source'
  where timestamp_diff((select evaluated_at from evaluation), l.last_new_data_at, hour) > r.threshold
),

candidates as (
  select * from mom
  union all
  select * from projection
  union all
  select * from coverage
  union all
  select * from spike
  union all
  select * from stale
),

final as (
  select
    concat(
      alert_type, ':', subject,
      if(alert_type = 'stale_source', concat(':', cast(as_of_date as string)), ''),
      if(alert_type = 'mom_increase', concat(':', severity), '')
    ) as alert_key,
    *,
  from candidates
)

select * from final
