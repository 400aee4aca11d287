-- account-scoring: the facts the optional narrative is written from — this run's highest-priority accounts of the
-- score date (ties by account id), at most @limit.
select account_id, account_name, priority_score, budget_likelihood, engagement_score, recommended_action, reasons,
  features,
from account_recommendations
where score_date = cast(@score_date as date) and _run_id = cast(@run_id as string)
order by priority_score desc, account_id
limit @limit
