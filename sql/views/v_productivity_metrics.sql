-- What the money buys, per person and ISO week (Monday): lines accepted, acceptance rate, requests and
-- sessions across Claude Code and Cursor, the person's AI cost that week and the cost per accepted line.
create or replace view v_productivity_metrics as
with usage as (
  select
    user_email,
    date(date_trunc(usage_date, isoweek)) as week_start,
    sum(lines_added) as lines_added,
    sum(lines_accepted) as lines_accepted,
    sum(accepts) as accepts,
    sum(applies) as applies,
    sum(requests) as requests,
    sum(sessions) as sessions,
  from fct_usage_daily
  where user_email is not null
  group by 1, 2
),

costs as (
  select
    user_email,
    date(date_trunc(cost_date, isoweek)) as week_start,
    sum(cost_usd) as cost_usd,
  from fct_cost_daily
  where user_email is not null
  group by 1, 2
),

final as (
  select
    coalesce(u.user_email, c.user_email) as user_email,
    coalesce(u.week_start, c.week_start) as week_start,
    d.team,
    coalesce(u.lines_added, 0) as lines_added,
    coalesce(u.lines_accepted, 0) as lines_accepted,
    coalesce(u.accepts, 0) as accepts,
    round(safe_divide(u.accepts, u.applies), 4) as acceptance_rate,
    coalesce(u.requests, 0) as requests,
    coalesce(u.sessions, 0) as sessions,
    coalesce(c.cost_usd, 0) as cost_usd,
    round(safe_divide(cast(c.cost_usd as float64), u.lines_accepted), 4) as cost_per_accepted_line_usd,
  from usage as u
  full outer join costs as c using (user_email, week_start)
  left join dim_users as d on d.user_email = coalesce(u.user_email, c.user_email)
)

select * from final
