-- Anthropic API keys with their owner over time (from the key-mapping sheet); valid_to null = current.
-- key: api_key_id, valid_from
-- grain: one key-owner assignment period
create table if not exists dim_api_keys (
  api_key_id string not null,
  api_key_name string,
  workspace_id string,
  status string,
  created_at timestamp,
  user_email string,
  description string,
  platform string,
  valid_from date not null,
  valid_to date,
  updated_at timestamp not null
)
options (description = 'API keys and their owners over time');
