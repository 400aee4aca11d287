-- Daily AI usage per platform, person, key and model, rebuilt from the raw tables each run.
-- platform: anthropic_api (Admin API usage report, person through the key's owner on that day),
-- claude_code (Claude Code report; per-actor metrics sit on the actor-day's main model row),
-- cursor (Cursor daily usage of active member-days; model = the day's most used model).
-- key: usage_date, platform, user_key, api_key_key, model_key
-- grain: one platform × person × key × model × day ('' stands for null in the *_key columns)
create table if not exists fct_usage_daily (
  usage_date date not null,
  platform string not null,
  user_email string,                 -- null = not attributed to a person
  api_key_id string,
  workspace_id string,
  model string,
  user_key string not null,
  api_key_key string not null,
  model_key string not null,
  uncached_input_tokens int64,
  cache_read_input_tokens int64,
  cache_creation_5m_input_tokens int64,
  cache_creation_1h_input_tokens int64,
  cache_creation_input_tokens int64, -- all cache writes (Claude Code reports no 5m/1h split)
  output_tokens int64,
  web_search_requests int64,
  requests int64,                    -- Cursor: included + usage-based + own-key requests
  sessions int64,
  lines_added int64,
  lines_accepted int64,
  accepts int64,
  applies int64,                     -- suggestions accepted or rejected
  acceptance_rate float64,           -- accepts / applies
  updated_at timestamp not null
)
partition by usage_date
cluster by platform, user_email
options (description = 'Daily AI usage');
