-- Anthropic API keys with their owner over time, rebuilt each run from the keys list and the mapping-sheet
-- snapshots (jobs/usage_build_dim_api_keys.sql). valid_to null = the current period.
-- key: api_key_id, valid_from
-- grain: one key-owner assignment period (user_email null: nobody is mapped to the key then)
create table if not exists dim_api_keys (
  api_key_id string not null,
  valid_from date not null,
  valid_to date,                     -- inclusive; null while current
  api_key_name string,
  workspace_id string,
  status string,
  created_at timestamp,
  user_email string,
  description string,
  platform string,
  mapping_source string,             -- sheet_valid_from | sheet_snapshot | unmapped
  is_current bool,
  updated_at timestamp not null
)
cluster by api_key_id
options (description = 'API keys and their owners over time');
