-- generate-embeddings: the calls that need an embedding, newest first
-- A row needs one when it never had one (embedded_at is null: the REPEATED embedding column is never NULL in
-- BigQuery), when its transcript changed since (content_hash), or when another model made it.
select call_id, transcript_text, content_hash
from (
  select
    call_id, transcript_text, call_time, embedded_at,
    embedding_model,
    content_hash as stored_hash,
    to_hex(sha256(coalesce(transcript_text, ''))) as content_hash
  from dialpad_calls
)
where embedded_at is null
  or stored_hash is null
  or stored_hash != content_hash
  or embedding_model is null
  or embedding_model != cast(@model as string)
order by call_time desc, call_id
limit @limit
