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
  reasons array<string>,             -- 3-5 plain-language signals, each citing its evidence (subject and date,
                                     -- or call date and duration)
  last_interaction_date date,        -- latest email, call or meeting before score_date
  features string,                   -- JSON: the feature values and intermediate terms the scores were made from
  model_version string,              -- rules-v1-<hash of weights, thresholds, patterns and prototypes>
  narrative string,                  -- optional Gemini summary (SCORING_NARRATIVE); null: off or it failed
  narrative_model string,
  scored_at timestamp not null,
  _run_id string
)
partition by score_date
cluster by account_id
options (description = 'Daily account recommendations');
