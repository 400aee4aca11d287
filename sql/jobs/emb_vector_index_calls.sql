-- generate-embeddings: the IVF cosine vector index on dialpad_calls.embedding (BigQuery only)
-- Issued once the table holds EMBEDDING_INDEX_MIN_ROWS (default 5,000) embedded rows: BigQuery does not build
-- an index on a small table (VECTOR_SEARCH then scans, which is fast at that size).
create vector index if not exists dialpad_calls_embedding on dialpad_calls(embedding)
options (index_type = 'IVF', distance_type = 'COSINE')
