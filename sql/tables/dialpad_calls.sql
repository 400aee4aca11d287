-- One concluded Dialpad call; phones in E.164; customer side is external_number whatever the direction.
-- key: call_id
-- grain: one Dialpad call
create table if not exists dialpad_calls (
  call_id string not null,
  call_time timestamp,
  connected_at timestamp,
  ended_at timestamp,
  direction string,
  state string,
  duration_seconds float64,
  total_duration_seconds float64,
  from_number string,
  to_number string,
  external_number string,
  internal_number string,
  external_number_raw string,
  internal_number_raw string,
  rep_user_id string,
  rep_email string,
  rep_name string,
  contact_id string,
  contact_type string,
  contact_name string,
  contact_email string,
  contact_phone string,               -- E.164
  was_recorded bool,
  has_transcript bool,                -- null: not fetched yet (retried by the next run)
  transcript_text string,             -- "Speaker: words" per spoken line
  transcript_line_count int64,        -- rows in dialpad_transcript_lines
  source_hash string,                 -- fingerprint of the Dialpad fields, to skip unchanged calls
  ingested_at timestamp not null,
  _run_id string,
  sf_contact_id string,                -- entity-resolution, from external_number: the matched contact
  sf_lead_id string,                   -- the matched lead (null: none, or a contact matched first)
  sf_account_id string,                -- the contact's account or a converted lead's account
  match_method string,                 -- manual | contact_phone | lead_phone; null: unmatched
  match_confidence float64,            -- the method's confidence, 0-1 (functions/entity_resolution/README.md)
  matched_at timestamp,                -- when the resolver wrote the current match (null: unmatched)
  is_ambiguous bool,                   -- several candidates at the winning level (a shared number)
  is_internal bool,                    -- the customer side is a Salesforce user's number: never matched
  resolved_at timestamp,               -- when the resolver last wrote this row's match columns (null: never)
  embedding array<float64>,          -- generate-embeddings: unit-length vector; empty: none (or empty text)
  embedding_model string,            -- the model that made it (another than EMBEDDING_MODEL: re-embedded)
  embedding_dim int64,               -- its length (0: the text was empty, nothing to embed)
  content_hash string,               -- hex sha256 of the transcript_text it was made from (changed: re-embedded)
  embedded_at timestamp              -- when generate-embeddings last wrote these columns (null: never)
)
partition by date(call_time)
cluster by external_number
options (description = 'Dialpad calls with transcripts and Salesforce resolution');
