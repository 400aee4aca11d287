-- account-scoring: the latest score date's ranking of every account, highest priority first, with its owner,
-- action, reasons (and the optional narrative) and last touch. Ties: the lower account id first.
create or replace view v_top_accounts as
with latest as (
  select max(score_date) as score_date from account_recommendations
),

ranked as (
  select
    r.*,
    u.user_name as owner_name,
    u.email as owner_email,
    row_number() over (order by r.priority_score desc, r.account_id) as rank,
  from account_recommendations as r
  join latest as l on r.score_date = l.score_date
  left join sf_users as u on u.user_id = r.owner_id
)

select
  rank,
  score_date,
  account_id,
  account_name,
  owner_id,
  owner_name,
  owner_email,
  priority_score,
  budget_likelihood,
  engagement_score,
  recommended_action,
  reasons,
  narrative,
  last_interaction_date,
  model_version,
from ranked
