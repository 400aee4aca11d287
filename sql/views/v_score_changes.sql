-- account-scoring: how each account's scores moved between the latest score date and the one before it, biggest
-- priority movers first, and the feature that moved most (its change divided by a fixed scale: counts by 5,
-- budget signal by 1, open amount by 100,000, stage probability by 50, days since touch by 30), as
-- "name before -> after".
create or replace view v_score_changes as
with dates as (
  select max(score_date) as latest, from account_recommendations
),

previous as (
  select max(r.score_date) as previous, from account_recommendations as r, dates as d where r.score_date < d.latest
),

pairs as (
  select
    t.account_id,
    t.account_name,
    t.owner_id,
    t.score_date,
    b.score_date as previous_score_date,
    t.priority_score,
    b.priority_score as previous_priority_score,
    t.priority_score - b.priority_score as priority_change,
    t.budget_likelihood - b.budget_likelihood as budget_likelihood_change,
    t.engagement_score - b.engagement_score as engagement_change,
    b.recommended_action as previous_action,
    t.recommended_action,
    [
      struct('emails_in_30' as name, cast(fb.emails_in_30 as float64) as before,
             cast(ft.emails_in_30 as float64) as after, 5.0 as scale),
      struct('emails_out_30', cast(fb.emails_out_30 as float64), cast(ft.emails_out_30 as float64), 5.0),
      struct('calls_30', cast(fb.calls_30 as float64), cast(ft.calls_30 as float64), 5.0),
      struct('meetings', cast(fb.meetings_30 + fb.meetings_upcoming as float64),
             cast(ft.meetings_30 + ft.meetings_upcoming as float64), 5.0),
      struct('contacts_engaged_90', cast(fb.contacts_engaged_90 as float64),
             cast(ft.contacts_engaged_90 as float64), 5.0),
      struct('budget_signal', fb.budget_signal, ft.budget_signal, 1.0),
      struct('open_amount', fb.open_amount, ft.open_amount, 100000.0),
      struct('stage_probability', coalesce(fb.stage_probability, 0), coalesce(ft.stage_probability, 0), 50.0),
      struct('days_since_touch', cast(coalesce(fb.days_since_touch, 365) as float64),
             cast(coalesce(ft.days_since_touch, 365) as float64), 30.0)
    ] as moves,
  from account_recommendations as t
  cross join dates as d
  cross join previous as p
  join account_recommendations as b
    on b.account_id = t.account_id and b.score_date = p.previous
  left join account_features as ft on ft.account_id = t.account_id and ft.score_date = t.score_date
  left join account_features as fb on fb.account_id = b.account_id and fb.score_date = b.score_date
  where t.score_date = d.latest
)

select
  account_id,
  account_name,
  owner_id,
  score_date,
  previous_score_date,
  priority_score,
  previous_priority_score,
  round(priority_change, 2) as priority_change,
  round(budget_likelihood_change, 2) as budget_likelihood_change,
  round(engagement_change, 2) as engagement_change,
  previous_action,
  recommended_action,
  (select concat(m.name, ' ', cast(round(m.before, 2) as string), ' -> ', cast(round(m.after, 2) as string))
   from unnest(moves) as m
   where m.before is not null and m.after is not null and m.before != m.after
   order by abs(m.after - m.before) / m.scale desc, m.name
   limit 1) as moved_by,
from pairs
