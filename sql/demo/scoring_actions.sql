-- Accounts per recommended action today
select recommended_action as action, count(*) as accounts, round(avg(priority_score), 1) as avg_priority,
from v_top_accounts
group by recommended_action
order by accounts desc, action
