-- Accounts per rep and recommended action on the latest score date (v_top_accounts)
select
  coalesce(owner_name, owner_email, owner_id, 'no owner') as owner_name,
  recommended_action,
  count(*) as accounts,
  max(priority_score) as top_priority,
  max(score_date) as score_date,
from v_top_accounts
group by 1, 2
order by owner_name, recommended_action
