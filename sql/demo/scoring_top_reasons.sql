-- Why: the reasons behind today's top 10, each with its evidence
select t.rank, t.account_name, t.recommended_action as action, reason,
from v_top_accounts as t
cross join unnest(t.reasons) as reason with offset as position
where t.rank <= 10
order by t.rank, position
