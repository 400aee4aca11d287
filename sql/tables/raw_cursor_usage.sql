-- Cursor Admin API daily-usage-data, one row per member per day.
-- key: usage_date, user_email
-- grain: one Cursor member-day
create table if not exists raw_cursor_usage (
  usage_date date not null,
  user_email string not null,        -- email trimmed and lowercased
  email string,                      -- as returned
  user_id string,
  is_active bool,
  total_lines_added int64,
  total_lines_deleted int64,
  accepted_lines_added int64,
  accepted_lines_deleted int64,
  total_applies int64,
  total_accepts int64,
  total_rejects int64,
  total_tabs_shown int64,
  total_tabs_accepted int64,
  composer_requests int64,
  chat_requests int64,
  agent_requests int64,
  cmdk_usages int64,
  subscription_included_reqs int64,
  api_key_reqs int64,
  usage_based_reqs int64,
  bugbot_usages int64,
  most_used_model string,
  client_version string,
  raw_json string,
  collected_at timestamp not null,
  _run_id string
)
partition by usage_date
cluster by user_email
options (description = 'Cursor daily usage rows as collected');
