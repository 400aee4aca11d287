-- Attachment metadata of synced Gmail messages (name, type, size); the content itself is never copied.
-- key: mailbox, message_id, part_id
-- grain: one attachment (or inline image) part of one message in one mailbox
create table if not exists gmail_attachments (
  mailbox string not null,
  message_id string not null,
  part_id string not null,           -- Gmail MIME part id, e.g. 1 or 0.1.1
  filename string,
  mime_type string,
  size_bytes int64,
  is_inline bool,                    -- inline (e.g. an embedded logo) rather than attached
  sent_at timestamp,
  ingested_at timestamp not null,
  _run_id string
)
partition by date(sent_at)
cluster by mailbox, message_id
options (description = 'Gmail attachment metadata per synced mailbox');
