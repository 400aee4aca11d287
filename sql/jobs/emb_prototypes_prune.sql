-- generate-embeddings: drop @model's prototypes whose phrase is no longer shipped (shared/data/intent_prototypes.tsv).
delete from intent_prototypes where embedding_model = @model and phrase not in unnest(@phrases)
