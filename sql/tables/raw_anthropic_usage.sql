-- Anthropic Admin API usage_report/messages, one daily bucket per key/workspace/model/tier, as returned.
-- key: bucket_start, api_key_id, workspace_id, model, service_tier
-- grain: one usage result row of one daily bucket ('' stands for a null dimension in the key)
create table if not exists raw_anthropic_usage (
  bucket_start timestamp not null,
  bucket_end timestamp,
  api_key_id string not null,        -- '' = console / Workbench usage (no API key)
  workspace_id string not null,      -- '' = the default workspace
  model string not null,
  service_tier string not null,
  uncached_input_tokens int64,
  cache_read_input_tokens int64,
  cache_creation_5m_input_tokens int64,
  cache_creation_1h_input_tokens int64,
  output_tokens int64,
  web_search_requests int64,
  raw_json string,
  collected_at timestamp not null,   -- when this version of the row arrived (new or changed)
  _run_id string
)
partition by date(bucket_start)
cluster by workspace_id, api_key_id
options (description = 'Anthropic usage report rows as collected');
