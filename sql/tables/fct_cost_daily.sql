-- Daily AI cost in USD per platform, person, key and model. user_email null = unattributed (kept visible).
-- key: cost_date, platform, user_key, api_key_key, model_key
-- grain: one platform × person × key × model × day ('' stands for null in the *_key columns)
create table if not exists fct_cost_daily (
  cost_date date not null,
  platform string not null,
  user_email string,
  api_key_id string,
  model string,
  user_key string not null,
  api_key_key string not null,
  model_key string not null,
  cost_usd numeric,
  cost_basis string,                 -- reported | allocated_by_list_price | cycle_spend_delta
  updated_at timestamp not null
)
partition by cost_date
cluster by platform, user_email
options (description = 'Daily AI cost');
