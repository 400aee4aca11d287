-- generate-embeddings: rows holding a vector of the current model, per table (decides the vector index)
select
  (select count(*) from gmail_messages
   where embedded_at is not null and array_length(embedding) > 0 and embedding_model = cast(@model as string))
    as gmail_messages,
  (select count(*) from dialpad_calls
   where embedded_at is not null and array_length(embedding) > 0 and embedding_model = cast(@model as string))
    as dialpad_calls
