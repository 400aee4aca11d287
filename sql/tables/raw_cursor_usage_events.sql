-- Cursor Admin API filtered-usage-events: one row per usage event, as returned (re-collected per request window).
-- charged_cents: what the event added to the cycle's spend: tokenUsage.totalCents of a usage-based event
-- (kind/kindLabel "Usage-based"), 0 for included, errored or aborted events and free Bugbot runs, null for a
-- usage-based event without a token cost. The cycle's spend snapshot (raw_cursor_spend) is checked against it
-- in v_cursor_spend_reconciliation.
-- key: event_at, user_email, model
-- grain: one Cursor usage event
create table if not exists raw_cursor_usage_events (
  event_at timestamp not null,       -- timestamp (epoch ms as a string) as a UTC instant
  usage_date date not null,          -- the event's UTC day
  user_email string not null,        -- userEmail trimmed and lowercased
  model string not null,             -- '' when the API gives none
  email string,                      -- userEmail as returned
  kind string,                       -- kind, or kindLabel in newer replies
  max_mode bool,
  requests_costs numeric,
  is_token_based bool,
  input_tokens int64,                -- tokenUsage (only on token-based calls)
  output_tokens int64,
  cache_write_tokens int64,
  cache_read_tokens int64,
  total_cents numeric,
  is_free_bugbot bool,
  charged_cents numeric,
  charged_usd numeric,
  raw_json string,
  collected_at timestamp not null,
  _run_id string
)
partition by usage_date
cluster by user_email
options (description = 'Cursor usage events as collected');
