-- Anthropic Admin API api_keys: every key the organization has (any status), as last listed.
-- key: api_key_id
-- grain: one API key
create table if not exists raw_anthropic_api_keys (
  api_key_id string not null,
  api_key_name string,
  workspace_id string,
  status string,                     -- active | inactive | archived | expired
  created_at timestamp,
  created_by_user_id string,
  partial_key_hint string,
  raw_json string,
  collected_at timestamp not null,
  _run_id string
)
options (description = 'Anthropic API keys as listed by the Admin API');
