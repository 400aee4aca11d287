-- generate-embeddings: the intent prototype phrases already embedded by @model.
select phrase from intent_prototypes where embedding_model = @model and array_length(embedding) > 0
