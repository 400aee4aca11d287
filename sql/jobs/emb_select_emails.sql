-- generate-embeddings: the messages that need an embedding, newest first
-- A row needs one when it never had one (embedded_at is null: the REPEATED embedding column is never NULL in
-- BigQuery), when its subject or body changed since (content_hash), or when another model made it.
select mailbox, message_id, subject, body_text, content_hash
from (
  select
    mailbox, message_id, subject, body_text, sent_at, embedded_at,
    embedding_model,
    content_hash as stored_hash,
    to_hex(sha256(concat(to_hex(sha256(coalesce(subject, ''))), to_hex(sha256(coalesce(body_text, '')))))) as content_hash
  from gmail_messages
  where not is_deleted
)
where embedded_at is null
  or stored_hash is null
  or stored_hash != content_hash
  or embedding_model is null
  or embedding_model != cast(@model as string)
order by sent_at desc, mailbox, message_id
limit @limit
