-- gmail-sync: a mailbox's stored history id and when it last moved (bounds the fallback re-list).
select
  cursor_value,
  updated_at,
from sync_state
where job = @job and scope = @scope
