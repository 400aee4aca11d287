-- account-scoring, step 2: every account's feature values on a score date, from activity strictly before that
-- date (jobs/score_features.sql). The scores and the reasons are made from these (jobs/score_accounts.sql);
-- v_score_changes compares two dates' values to say which feature moved an account.
-- key: account_id, score_date
-- grain: one account per scoring day
create table if not exists account_features (
  account_id string not null,
  score_date date not null,
  account_name string,
  owner_id string,
  emails_in_7 int64,                 -- emails from the account's people (auto-replies left out), last 7 days
  emails_in_30 int64,
  emails_in_90 int64,
  emails_out_7 int64,                -- emails from us to them
  emails_out_30 int64,
  emails_out_90 int64,
  calls_7 int64,                     -- Dialpad calls linked to the account, either direction
  calls_30 int64,
  calls_90 int64,
  talk_minutes_30 float64,
  talk_minutes_90 float64,
  meetings_30 int64,                 -- sf_events held in the last 30 days
  meetings_upcoming int64,           -- sf_events booked before the score date for the next 30 days
  tasks_30 int64,                    -- sf_tasks dated in the last 30 days
  contacts_engaged_90 int64,         -- distinct contacts who wrote, were written to or called, last 90 days
  senior_contacts_90 int64,          -- of those, seniority 3 or 4 (VP, C-level)
  max_seniority int64,               -- 0 staff, 1 manager/lead, 2 director/head, 3 VP, 4 C-level/founder
  most_senior_title string,
  days_since_inbound int64,          -- since their last email or inbound call (null: never)
  days_since_outbound int64,         -- since our last email or outbound call (null: never)
  days_since_touch int64,            -- since the last email, call or meeting either way (null: never)
  awaiting_reply bool,               -- their last email or call is newer than ours
  reply_latency_hours float64,       -- mean hours from their email to our next email in the thread, 90 days
  open_opportunities int64,
  open_amount float64,               -- sum of open opportunities' Amount (as of the last Salesforce sync)
  stage_probability float64,         -- highest open opportunity's stage probability, 0-100
  days_to_close int64,               -- nearest open close date, days after the score date
  budget_signal float64,             -- recency-weighted sum of per-document budget strength, 90 days
  budget_discussed_at timestamp,     -- latest strong budget document in the last SCORING_BUDGET_RECENT_DAYS
  pricing_asked_at timestamp,        -- latest inbound strong pricing document in the last 30 days
  pricing_sent_since_ask bool,       -- an outbound message with pricing words after that ask
  negative_signal string,            -- latest negative (not_interested | competitor | unsubscribe), 60 days
  negative_at timestamp,
  budget_evidence string,            -- "subject" (date), or call on date (n min): the strongest budget document
  pricing_evidence string,
  inbound_evidence string,           -- their latest email or call
  email_evidence string,             -- the latest email either way
  call_evidence string,              -- the latest call
  meeting_evidence string,           -- the latest meeting held, else the next booked
  opportunity_evidence string,       -- the largest open opportunity: name, amount, stage, close date
  negative_evidence string,
  last_interaction_date date,        -- latest email, call or meeting before the score date
  activity_rank int64,               -- 1 = most recently active (the request's limit keeps the first n)
  computed_at timestamp not null,
  _run_id string
)
partition by score_date
cluster by account_id
options (description = 'account-scoring: feature values per account and score date');
