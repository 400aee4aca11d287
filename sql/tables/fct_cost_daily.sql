-- Daily AI cost in USD per platform, person, key and model, rebuilt from the raw tables each run.
-- cost_basis: reported_allocated (a workspace-day's reported Anthropic cost shared among its keys by their
-- usage at list prices; shares sum exactly to the reported amount), reported_unallocated (reported cost
-- without usage to share it by), estimated (Claude Code seats: Anthropic's estimate, remote and local use
-- summed), usage_events (Cursor: the charged cents of a member's usage events of the day and model).
-- user_email null = unattributed: kept, never dropped.
-- key: cost_date, platform, user_key, api_key_key, model_key, workspace_key
-- grain: one platform × person × key × model × workspace × day ('' stands for null in the *_key columns)
create table if not exists fct_cost_daily (
  cost_date date not null,
  platform string not null,
  user_email string,
  api_key_id string,
  workspace_id string,
  model string,
  user_key string not null,
  api_key_key string not null,
  model_key string not null,
  workspace_key string not null,
  cost_usd numeric,
  list_cost_usd numeric,             -- anthropic_api: the usage at list prices used as allocation weight
  cost_basis string,
  updated_at timestamp not null
)
partition by cost_date
cluster by platform, user_email
options (description = 'Daily AI cost');
