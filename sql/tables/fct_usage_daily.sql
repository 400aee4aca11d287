-- Daily AI usage per platform, person, key and model. platform: anthropic_api | claude_code | cursor.
-- key: usage_date, platform, user_key, api_key_key, model_key
-- grain: one platform × person × key × model × day ('' stands for null in the *_key columns)
create table if not exists fct_usage_daily (
  usage_date date not null,
  platform string not null,
  user_email string,
  api_key_id string,
  model string,
  user_key string not null,
  api_key_key string not null,
  model_key string not null,
  uncached_input_tokens int64,
  cache_read_input_tokens int64,
  cache_creation_input_tokens int64,
  output_tokens int64,
  web_search_requests int64,
  requests int64,
  lines_added int64,
  lines_accepted int64,
  accepts int64,
  acceptance_rate float64,
  sessions int64,
  updated_at timestamp not null
)
partition by usage_date
cluster by platform, user_email
options (description = 'Daily AI usage');
