-- account-scoring, step 1: what each message and call says (activity_signals), for the documents that are new,
-- re-embedded, deleted or undeleted, or whose model's prototypes changed since they were last read; the others
-- keep their row. A mail synced in several mailboxes is read once (by RFC 822 Message-ID, first live copy).
-- Similarity: vectors are unit length, so cosine similarity is the dot product with each intent prototype of
-- the same model (intent_prototypes); text: subject and body with the quoted history cut at @quoted_pattern,
-- lower-cased, matched against the phrase patterns (functions/account_scoring/score_rules.py).
merge into activity_signals as t
using (
  with prototypes as (
    select embedding_model, topic, embedding,
    from intent_prototypes
    where array_length(embedding) > 0
  ),

  prototype_versions as (
    select embedding_model, max(embedded_at) as prototypes_at,
    from intent_prototypes
    group by embedding_model
  ),

  senders as (
    select mailbox, message_id, logical_or(not coalesce(is_internal, false)) as is_inbound,
    from gmail_participants
    where role = 'from'
    group by mailbox, message_id
  ),

  mails as (
    select
      coalesce(m.rfc822_message_id, concat(m.mailbox, '/', m.message_id)) as item_id,
      m.mailbox,
      m.message_id,
      m.thread_id,
      m.sent_at,
      m.subject,
      m.body_text,
      m.embedding,
      m.embedding_model,
      m.embedded_at,
      m.is_deleted,
      coalesce(s.is_inbound, false) as is_inbound,
      row_number() over (
        partition by coalesce(m.rfc822_message_id, concat(m.mailbox, '/', m.message_id))
        order by m.is_deleted, m.mailbox, m.message_id
      ) as copy,
    from gmail_messages as m
    left join senders as s using (mailbox, message_id)
  ),

  documents as (
    select
      'email' as kind,
      item_id,
      mailbox,
      message_id,
      thread_id,
      sent_at as occurred_at,
      if(is_inbound, 'inbound', 'outbound') as direction,
      subject,
      cast(null as float64) as duration_seconds,
      body_text as raw_text,
      embedding,
      embedding_model,
      embedded_at,
      is_deleted,
    from mails
    where copy = 1
    union all
    select
      'call',
      call_id,
      cast(null as string),
      cast(null as string),
      cast(null as string),
      call_time,
      if(direction = 'inbound', 'inbound', 'outbound'),
      cast(null as string),
      duration_seconds,
      transcript_text,
      embedding,
      embedding_model,
      embedded_at,
      false,
    from dialpad_calls
  ),

  pending as (
    select d.*, v.prototypes_at,
    from documents as d
    left join prototype_versions as v on v.embedding_model = d.embedding_model
    left join activity_signals as s on s.kind = d.kind and s.item_id = d.item_id
    where s.item_id is null
      or s.source_embedded_at is distinct from d.embedded_at
      or s.prototypes_at is distinct from v.prototypes_at
      or s.is_deleted != d.is_deleted
      or s.mailbox is distinct from d.mailbox
  ),

  products as (
    select
      p.kind,
      p.item_id,
      q.topic,
      (select sum(x * q.embedding[offset(i)]) from unnest(p.embedding) as x with offset as i) as similarity,
    from pending as p
    join prototypes as q
      on q.embedding_model = p.embedding_model and array_length(q.embedding) = array_length(p.embedding)
  ),

  similarities as (
    select
      kind,
      item_id,
      max(if(topic != 'pricing', similarity, null)) as budget_similarity,
      max(if(topic = 'pricing', similarity, null)) as pricing_similarity,
    from products
    group by kind, item_id
  ),

  texts as (
    select
      p.*,
      if(p.kind = 'email',
         lower(concat(coalesce(p.subject, ''), '\n',
                      regexp_replace(coalesce(p.raw_text, ''), cast(@quoted_pattern as string), ''))),
         lower(coalesce(p.raw_text, ''))) as text,
    from pending as p
  ),

  signals as (
    select
      p.kind,
      p.item_id,
      p.mailbox,
      p.message_id,
      p.thread_id,
      p.occurred_at,
      p.direction,
      p.subject,
      p.duration_seconds,
      s.budget_similarity,
      s.pricing_similarity,
      regexp_contains(p.text, cast(@budget_pattern as string)) as has_budget_phrase,
      regexp_contains(p.text, cast(@pricing_pattern as string)) as has_pricing_phrase,
      case
        when p.direction != 'inbound' then null
        when regexp_contains(p.text, cast(@unsubscribe_pattern as string)) then 'unsubscribe'
        when regexp_contains(p.text, cast(@competitor_pattern as string)) then 'competitor'
        when regexp_contains(p.text, cast(@not_interested_pattern as string)) then 'not_interested'
      end as negative_signal,
      p.kind = 'email' and regexp_contains(p.text, cast(@auto_reply_pattern as string)) as is_auto_reply,
      p.is_deleted,
      p.embedding_model,
      p.embedded_at as source_embedded_at,
      p.prototypes_at,
    from texts as p
    left join similarities as s on s.kind = p.kind and s.item_id = p.item_id
  )

  select * from signals
) as s
on t.kind = s.kind and t.item_id = s.item_id
when matched then update set
  mailbox = s.mailbox,
  message_id = s.message_id,
  thread_id = s.thread_id,
  occurred_at = s.occurred_at,
  direction = s.direction,
  subject = s.subject,
  duration_seconds = s.duration_seconds,
  budget_similarity = s.budget_similarity,
  pricing_similarity = s.pricing_similarity,
  has_budget_phrase = s.has_budget_phrase,
  has_pricing_phrase = s.has_pricing_phrase,
  negative_signal = s.negative_signal,
  is_auto_reply = s.is_auto_reply,
  is_deleted = s.is_deleted,
  embedding_model = s.embedding_model,
  source_embedded_at = s.source_embedded_at,
  prototypes_at = s.prototypes_at,
  computed_at = cast(@now as timestamp)
when not matched then insert (
  kind, item_id, mailbox, message_id, thread_id, occurred_at, direction, subject, duration_seconds,
  budget_similarity, pricing_similarity, has_budget_phrase, has_pricing_phrase, negative_signal, is_auto_reply,
  is_deleted, embedding_model, source_embedded_at, prototypes_at, computed_at
) values (
  s.kind, s.item_id, s.mailbox, s.message_id, s.thread_id, s.occurred_at, s.direction, s.subject,
  s.duration_seconds, s.budget_similarity, s.pricing_similarity, s.has_budget_phrase, s.has_pricing_phrase,
  s.negative_signal, s.is_auto_reply, s.is_deleted, s.embedding_model, s.source_embedded_at, s.prototypes_at,
  cast(@now as timestamp)
)
