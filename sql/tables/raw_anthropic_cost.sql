-- Anthropic Admin API cost_report, one daily bucket per workspace/description; amounts converted cents → USD.
-- key: bucket_start, workspace_id, description
-- grain: one cost result row of one daily bucket ('' stands for a null dimension in the key)
create table if not exists raw_anthropic_cost (
  bucket_start timestamp not null,
  bucket_end timestamp,
  workspace_id string not null,
  description string not null,
  model string,
  service_tier string,
  cost_type string,
  token_type string,
  currency string,
  amount_cents numeric,
  amount_usd numeric,
  raw_json string,
  collected_at timestamp not null,
  _run_id string
)
partition by date(bucket_start)
cluster by workspace_id
options (description = 'Anthropic cost report rows as collected');
