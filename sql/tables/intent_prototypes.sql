-- account-scoring's intent prototypes: short sentences of budget, pricing, procurement and contract talk,
-- embedded by generate-embeddings with each model it runs (phrases in shared/data/intent_prototypes.tsv), so
-- the scorer compares every message and call with them in SQL, vector model to vector model.
-- key: embedding_model, phrase
-- grain: one phrase embedded by one model
create table if not exists intent_prototypes (
  embedding_model string not null,
  phrase string not null,
  topic string not null,             -- budget | pricing | procurement | contract
  embedding array<float64>,          -- unit-length vector of the phrase (as a query)
  embedding_dim int64,
  embedded_at timestamp not null
)
cluster by embedding_model
options (description = 'account-scoring: intent prototype vectors per embedding model');
