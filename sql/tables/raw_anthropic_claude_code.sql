-- Anthropic Admin API usage_report/claude_code: one record per actor (user or API key) per day and kind of use
-- (remote and local use are separate records), as returned.
-- key: usage_date, actor_type, actor_id, is_remote
-- grain: one Claude Code actor-day, remote or local
create table if not exists raw_anthropic_claude_code (
  usage_date date not null,
  actor_type string not null,        -- user_actor | api_actor
  actor_id string not null,          -- the user's email (lowercased) or the API key's name
  is_remote bool,                    -- the record's is_remote (absent: false); null only on rows stored before
                                     -- the column existed, replaced when their day is collected again
  user_email string,
  api_key_name string,
  customer_type string,              -- api | subscription
  subscription_type string,
  terminal_type string,
  num_sessions int64,
  lines_added int64,
  lines_removed int64,
  commits int64,
  pull_requests int64,
  tool_accepted int64,               -- edit, multi-edit, write and notebook-edit actions accepted
  tool_rejected int64,
  model_breakdown array<struct<
    model string,
    input_tokens int64,
    output_tokens int64,
    cache_read_tokens int64,
    cache_creation_tokens int64,
    estimated_cost_cents numeric,
    estimated_cost_usd numeric
  >>,
  raw_json string,
  collected_at timestamp not null,
  _run_id string
)
partition by usage_date
cluster by actor_id
options (description = 'Claude Code usage report records as collected');
