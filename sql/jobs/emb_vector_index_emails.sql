-- generate-embeddings: the IVF cosine vector index on gmail_messages.embedding (BigQuery only)
-- Issued once the table holds EMBEDDING_INDEX_MIN_ROWS (default 5,000) embedded rows: BigQuery does not build
-- an index on a small table (VECTOR_SEARCH then scans, which is fast at that size).
create vector index if not exists gmail_messages_embedding on gmail_messages(embedding)
options (index_type = 'IVF', distance_type = 'COSINE')
