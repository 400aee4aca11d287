-- generate-embeddings: the Salesforce account of each message a search found (the first of its participants')
select mailbox, message_id, min(sf_account_id) as account_id
from gmail_participants
where concat(mailbox, '/', message_id) in unnest(cast(@keys as array<string>))
  and sf_account_id is not null
group by mailbox, message_id
