select cursor_value
from sync_state
where job = @job and scope = @scope
