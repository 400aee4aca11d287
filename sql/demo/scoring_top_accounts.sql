-- Today's top 10 accounts: scores and the next action (their reasons follow)
select
  rank,
  account_name,
  owner_name,
  priority_score as priority,
  budget_likelihood as budget,
  engagement_score as engagement,
  recommended_action as action,
  last_interaction_date as last_touch,
from v_top_accounts
order by rank
limit 10
