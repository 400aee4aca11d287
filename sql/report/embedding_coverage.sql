-- Embedding coverage: live mail and calls with a vector, with empty text (nothing to embed) and not embedded yet
with embeddable as (
  select 'gmail_messages' as table_name, embedded_at, embedding_dim,
  from gmail_messages
  where not is_deleted
  union all
  select 'dialpad_calls' as table_name, embedded_at, embedding_dim,
  from dialpad_calls
),

final as (
  select
    table_name,
    count(*) as live_rows,
    countif(embedded_at is not null and embedding_dim > 0) as with_vector,
    countif(embedded_at is not null and coalesce(embedding_dim, 0) = 0) as empty_text,
    countif(embedded_at is null) as not_embedded,
    max(embedded_at) as last_embedded_at,
  from embeddable
  group by table_name
)

select * from final
order by table_name desc
