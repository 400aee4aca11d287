-- Today's top 10 accounts: scores, the next action and why
select
  rank,
  account_name,
  owner_name,
  priority_score as priority,
  budget_likelihood as budget,
  engagement_score as engagement,
  recommended_action as action,
  array_to_string(reasons, ' | ') as reasons,
from v_top_accounts
order by rank
limit 10
