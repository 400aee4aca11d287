-- Incremental cursors and resumable checkpoints, append-only: each save is a new row (never an UPDATE or MERGE,
-- so concurrent functions cannot conflict), saved only after the data it covers is committed. sync_state is
-- the latest row per job and scope.
-- key: job, scope, updated_at
-- grain: one saved cursor of one job and scope
create table if not exists sync_state_log (
  job string not null,
  scope string not null,
  cursor_value string,
  updated_at timestamp not null,
  run_id string
)
partition by date(updated_at)
cluster by job, scope
options (description = 'Incremental sync cursors per job and scope, every saved value');
