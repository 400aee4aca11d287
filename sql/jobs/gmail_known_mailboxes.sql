-- gmail-sync: every mailbox a sync has kept a history cursor or a listing checkpoint (`<mailbox>#full`) for.
select distinct
  case when ends_with(scope, '#full') then substr(scope, 1, length(scope) - 5) else scope end as mailbox,
from sync_state
where job = @job
order by mailbox
