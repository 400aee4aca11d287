-- account-scoring: each owner's accounts for the latest score date that have something to do (action other than
-- 'no action'), in priority order (position 1 first), with the action and its reasons.
create or replace view v_rep_call_list as
select
  owner_id,
  owner_name,
  owner_email,
  row_number() over (partition by owner_id order by priority_score desc, account_id) as position,
  score_date,
  account_id,
  account_name,
  recommended_action,
  priority_score,
  budget_likelihood,
  engagement_score,
  reasons,
  last_interaction_date,
from v_top_accounts
where recommended_action != 'no action'
