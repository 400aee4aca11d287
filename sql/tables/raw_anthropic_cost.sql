-- Anthropic Admin API cost_report grouped by workspace and description; amounts converted cents → USD exactly.
-- key: bucket_start, workspace_id, description
-- grain: one cost item of one daily bucket ('' stands for a null dimension in the key)
create table if not exists raw_anthropic_cost (
  bucket_start timestamp not null,
  bucket_end timestamp,
  workspace_id string not null,      -- '' = the default workspace
  description string not null,
  model string,
  service_tier string,
  context_window string,
  cost_type string,                  -- tokens | web_search | code_execution
  token_type string,
  currency string,
  amount_cents numeric,              -- as reported (the API sends cents as a decimal string)
  amount_usd numeric,                -- amount_cents / 100
  raw_json string,
  collected_at timestamp not null,
  _run_id string
)
partition by date(bucket_start)
cluster by workspace_id
options (description = 'Anthropic cost report rows as collected');
