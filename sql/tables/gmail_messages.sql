-- One Gmail message as seen in one synced mailbox (the same mail in two mailboxes is two rows,
-- linked by rfc822_message_id). Embedding columns are written by generate-embeddings only.
-- key: mailbox, message_id
-- grain: one message in one mailbox
create table if not exists gmail_messages (
  mailbox string not null,
  message_id string not null,
  thread_id string,
  history_id string,
  labels array<string>,
  sent_at timestamp,
  internal_at timestamp,
  subject string,
  from_email string,
  from_name string,
  snippet string,
  body_text string,
  body_truncated bool,               -- body_text was cut at GMAIL_BODY_MAX_CHARS (default 100,000)
  body_source string,                -- text/plain, text/html (converted to text) or null (no text part)
  rfc822_message_id string,
  in_reply_to string,
  references_ids array<string>,
  size_estimate int64,
  attachment_count int64,
  is_deleted bool not null,
  deleted_at timestamp,
  ingested_at timestamp not null,
  _run_id string,
  embedding array<float64>,          -- generate-embeddings: unit-length vector; empty: none (or empty text)
  embedding_model string,            -- the model that made it (another than EMBEDDING_MODEL: re-embedded)
  embedding_dim int64,               -- its length (0: the text was empty, nothing to embed)
  content_hash string,               -- hex sha256 of the subject + body_text it was made from (changed: re-embedded)
  embedded_at timestamp              -- when generate-embeddings last wrote these columns (null: never)
)
partition by date(sent_at)
cluster by mailbox, thread_id
options (description = 'Gmail messages per synced mailbox');
