-- Daily scoring of every account: whom to call and why.
-- key: account_id, score_date
-- grain: one account per scoring day
create table if not exists account_recommendations (
  account_id string not null,
  score_date date not null,
  account_name string,
  owner_id string,
  priority_score float64,
  budget_likelihood float64,
  engagement_score float64,
  recommended_action string,
  reasons array<string>,
  model_version string,
  scored_at timestamp not null,
  _run_id string
)
partition by score_date
cluster by account_id
options (description = 'Daily account recommendations');
