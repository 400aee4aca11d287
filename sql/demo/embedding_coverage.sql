-- generate-embeddings: rows with a vector, per table and model
select 'gmail_messages' as table_name, embedding_model, embedding_dim, count(*) as row_count
from gmail_messages
where embedded_at is not null
group by embedding_model, embedding_dim
union all
select 'dialpad_calls' as table_name, embedding_model, embedding_dim, count(*) as row_count
from dialpad_calls
where embedded_at is not null
group by embedding_model, embedding_dim
order by table_name, embedding_dim desc
