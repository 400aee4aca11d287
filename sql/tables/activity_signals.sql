-- account-scoring, step 1: what each message and call says, computed once per document and again only when it
-- is re-embedded, deleted, or the prototypes of its model change (jobs/score_signals.sql). Accounts are joined
-- later (entity resolution may relink a document), so this table holds no account.
-- key: kind, item_id
-- grain: one mail (however many synced mailboxes hold it) or one call
create table if not exists activity_signals (
  kind string not null,              -- email | call
  item_id string not null,           -- email: RFC 822 Message-ID (else mailbox/message_id); call: call_id
  mailbox string,                    -- email: the row the signals were read from (the first mailbox holding it)
  message_id string,
  thread_id string,
  occurred_at timestamp,             -- sent_at / call_time
  direction string,                  -- inbound (the customer wrote or called) | outbound (we did)
  subject string,                    -- email subject; null for calls
  duration_seconds float64,          -- call talk time; null for emails
  budget_similarity float64,         -- highest cosine similarity to a budget, procurement or contract prototype
  pricing_similarity float64,        -- highest cosine similarity to a pricing prototype (null: no vector)
  has_budget_phrase bool,            -- explicit budget / procurement / contract words (SCORING_* patterns)
  has_pricing_phrase bool,           -- explicit pricing words
  negative_signal string,            -- not_interested | competitor | unsubscribe | null (inbound only)
  is_auto_reply bool,                -- an out-of-office or automatic reply: left out of every feature
  is_deleted bool not null,
  embedding_model string,
  source_embedded_at timestamp,      -- the document's embedded_at when read (changed: computed again)
  prototypes_at timestamp,           -- newest embedded_at of its model's prototypes when read (changed: again)
  computed_at timestamp not null
)
cluster by kind, item_id
options (description = 'account-scoring: per-document buying and negative signals');
