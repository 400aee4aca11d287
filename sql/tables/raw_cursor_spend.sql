-- Cursor Admin API spend for the current billing cycle, one snapshot row per member per collection day.
-- key: cycle_start, snapshot_date, user_email
-- grain: one member's cycle-to-date spend as seen on one day
create table if not exists raw_cursor_spend (
  cycle_start timestamp not null,
  snapshot_date date not null,
  user_email string not null,        -- email trimmed and lowercased
  email string,                      -- as returned
  name string,
  role string,
  spend_cents int64,
  spend_usd numeric,
  fast_premium_requests int64,
  hard_limit_override_dollars numeric,
  raw_json string,
  collected_at timestamp not null,
  _run_id string
)
partition by snapshot_date
cluster by user_email
options (description = 'Cursor cycle-to-date spend snapshots');
