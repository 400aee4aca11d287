-- account-scoring, step 2: every live account's features on @score_date (account_features), from activity strictly
-- before that date: mails and calls linked by entity resolution (activity_signals; auto-replies left out),
-- Salesforce meetings and tasks created before it, contacts' titles, open opportunities (their stage and amount
-- as of the last sync: Salesforce keeps no history in these tables). Rerunning a date replaces its rows.
-- Per-document strength (0-1): the larger of the prototype similarity scaled between @similarity_floor (0) and
-- @similarity_full (1), and @phrase_strength when explicit words appear; the account's budget signal sums the
-- budget strengths of its last 90 days, each halved every @budget_half_life_days of age.
merge into account_features as t
using (
  with params as (
    select
      cast(@score_date as date) as score_date,
      timestamp(cast(@score_date as date)) as as_of,
      cast(@account_ids as array<string>) as account_ids,
      cast(@limit as int64) as row_limit,
      cast(@similarity_floor as float64) as similarity_floor,
      cast(@similarity_full as float64) as similarity_full,
      cast(@phrase_strength as float64) as phrase_strength,
      cast(@strong_signal as float64) as strong_signal,
      cast(@budget_half_life_days as float64) as budget_half_life_days,
      cast(@budget_recent_days as int64) as budget_recent_days,
  ),

  accounts as (
    select account_id, account_name, owner_id,
    from sf_accounts
    cross join params as q
    where not is_deleted
      and (array_length(q.account_ids) = 0 or account_id in unnest(q.account_ids))
  ),

  email_links as (
    select distinct s.item_id, p.sf_account_id as account_id, p.sf_contact_id, s.occurred_at,
    from activity_signals as s
    cross join params as q
    join gmail_participants as p on p.mailbox = s.mailbox and p.message_id = s.message_id
    where s.kind = 'email'
      and not s.is_deleted
      and not s.is_auto_reply
      and not coalesce(p.is_internal, false)
      and p.sf_account_id is not null
      and s.occurred_at < q.as_of
  ),

  linked as (
    select distinct 'email' as kind, item_id, account_id, from email_links
    union all
    select 'call', call_id, sf_account_id, from dialpad_calls where sf_account_id is not null
  ),

  documents as (
    select
      l.account_id,
      s.kind,
      s.item_id,
      s.mailbox,
      s.thread_id,
      s.occurred_at,
      s.direction,
      s.subject,
      s.duration_seconds,
      s.has_pricing_phrase,
      s.negative_signal,
      date_diff(q.score_date, date(s.occurred_at), day) as age_days,
      greatest(
        least(greatest((coalesce(s.budget_similarity, 0) - q.similarity_floor)
                       / (q.similarity_full - q.similarity_floor), 0), 1),
        if(s.has_budget_phrase, q.phrase_strength, 0)) as budget_strength,
      greatest(
        least(greatest((coalesce(s.pricing_similarity, 0) - q.similarity_floor)
                       / (q.similarity_full - q.similarity_floor), 0), 1),
        if(s.has_pricing_phrase, q.phrase_strength, 0)) as pricing_strength,
      if(s.kind = 'email',
         concat('"', coalesce(s.subject, '(no subject)'), '" (', cast(date(s.occurred_at) as string), ')'),
         concat('call on ', cast(date(s.occurred_at) as string), ' (',
                cast(cast(round(coalesce(s.duration_seconds, 0) / 60) as int64) as string), ' min)')) as evidence,
    from linked as l
    cross join params as q
    join activity_signals as s on s.kind = l.kind and s.item_id = l.item_id
    where not s.is_deleted
      and not s.is_auto_reply
      and s.occurred_at < q.as_of
  ),

  weighted as (
    select
      d.*,
      d.budget_strength * exp(-0.6931471805599453 * d.age_days / q.budget_half_life_days) as budget_weight,
      d.age_days <= q.budget_recent_days and d.budget_strength >= q.strong_signal as is_recent_budget_talk,
      d.direction = 'inbound' and d.age_days <= 30 and d.pricing_strength >= q.strong_signal as is_pricing_ask,
    from documents as d
    cross join params as q
  ),

  doc_features as (
    select
      account_id,
      countif(kind = 'email' and direction = 'inbound' and age_days <= 7) as emails_in_7,
      countif(kind = 'email' and direction = 'inbound' and age_days <= 30) as emails_in_30,
      countif(kind = 'email' and direction = 'inbound' and age_days <= 90) as emails_in_90,
      countif(kind = 'email' and direction = 'outbound' and age_days <= 7) as emails_out_7,
      countif(kind = 'email' and direction = 'outbound' and age_days <= 30) as emails_out_30,
      countif(kind = 'email' and direction = 'outbound' and age_days <= 90) as emails_out_90,
      countif(kind = 'call' and age_days <= 7) as calls_7,
      countif(kind = 'call' and age_days <= 30) as calls_30,
      countif(kind = 'call' and age_days <= 90) as calls_90,
      coalesce(sum(if(kind = 'call' and age_days <= 30, duration_seconds, 0)), 0) / 60 as talk_minutes_30,
      coalesce(sum(if(kind = 'call' and age_days <= 90, duration_seconds, 0)), 0) / 60 as talk_minutes_90,
      max(if(direction = 'inbound', occurred_at, null)) as last_inbound_at,
      max(if(direction = 'outbound', occurred_at, null)) as last_outbound_at,
      max(occurred_at) as last_touch_at,
      coalesce(sum(if(age_days <= 90, budget_weight, 0)), 0) as budget_signal,
      max(if(is_recent_budget_talk, occurred_at, null)) as budget_discussed_at,
      max(if(is_pricing_ask, occurred_at, null)) as pricing_asked_at,
      max(if(direction = 'outbound' and has_pricing_phrase, occurred_at, null)) as pricing_sent_at,
      max(if(negative_signal is not null and age_days <= 60, occurred_at, null)) as negative_at,
    from weighted
    group by account_id
  ),

  ranked_documents as (
    select
      *,
      row_number() over (partition by account_id
                         order by if(age_days <= 90, budget_weight, 0) desc, occurred_at desc, item_id) as budget_rank,
      row_number() over (partition by account_id
                         order by if(is_pricing_ask, 1, 0) desc, occurred_at desc, item_id) as pricing_rank,
      row_number() over (partition by account_id
                         order by if(direction = 'inbound', 1, 0) desc, occurred_at desc, item_id) as inbound_rank,
      row_number() over (partition by account_id
                         order by if(kind = 'email', 1, 0) desc, occurred_at desc, item_id) as email_rank,
      row_number() over (partition by account_id
                         order by if(kind = 'call', 1, 0) desc, occurred_at desc, item_id) as call_rank,
      row_number() over (partition by account_id
                         order by if(negative_signal is not null and age_days <= 60, 1, 0) desc, occurred_at desc,
                                  item_id) as negative_rank,
    from weighted
  ),

  evidence as (
    select
      account_id,
      max(if(budget_rank = 1 and budget_weight > 0 and age_days <= 90, evidence, null)) as budget_evidence,
      max(if(pricing_rank = 1 and is_pricing_ask, evidence, null)) as pricing_evidence,
      max(if(inbound_rank = 1 and direction = 'inbound', evidence, null)) as inbound_evidence,
      max(if(email_rank = 1 and kind = 'email', evidence, null)) as email_evidence,
      max(if(call_rank = 1 and kind = 'call', evidence, null)) as call_evidence,
      max(if(negative_rank = 1 and negative_signal is not null and age_days <= 60, negative_signal, null))
        as negative_signal,
      max(if(negative_rank = 1 and negative_signal is not null and age_days <= 60, evidence, null))
        as negative_evidence,
    from ranked_documents
    group by account_id
  ),

  replies as (
    select
      i.account_id,
      i.item_id,
      min(o.occurred_at) as replied_at,
      any_value(i.occurred_at) as asked_at,
    from weighted as i
    cross join params as q
    join activity_signals as o
      on o.kind = 'email' and o.direction = 'outbound' and o.mailbox = i.mailbox and o.thread_id = i.thread_id
      and o.occurred_at > i.occurred_at and o.occurred_at < q.as_of and not o.is_deleted
    where i.kind = 'email' and i.direction = 'inbound' and i.age_days <= 90
    group by i.account_id, i.item_id
  ),

  reply_latency as (
    select account_id, avg(timestamp_diff(replied_at, asked_at, minute)) / 60 as reply_latency_hours,
    from replies
    group by account_id
  ),

  engaged as (
    select account_id, sf_contact_id,
    from email_links
    cross join params as q
    where sf_contact_id is not null and date_diff(q.score_date, date(occurred_at), day) <= 90
    union distinct
    select sf_account_id, sf_contact_id,
    from dialpad_calls
    cross join params as q
    where sf_account_id is not null
      and sf_contact_id is not null
      and call_time < q.as_of
      and date_diff(q.score_date, date(call_time), day) <= 90
  ),

  engaged_titles as (
    select
      e.account_id,
      c.title,
      case
        when regexp_contains(lower(coalesce(c.title, '')),
                             r'\b(chief|ceo|cfo|cto|cio|coo|cdo|cmo|president|founder|owner)\b') then 4
        when regexp_contains(lower(coalesce(c.title, '')), r'\b(vp|svp|evp|vice president)\b') then 3
        when regexp_contains(lower(coalesce(c.title, '')), r'\b(director|head)\b') then 2
        when regexp_contains(lower(coalesce(c.title, '')), r'\b(manager|lead|principal|architect)\b') then 1
        else 0
      end as seniority,
      e.sf_contact_id,
    from engaged as e
    left join sf_contacts as c on c.contact_id = e.sf_contact_id
  ),

  seniority as (
    select
      account_id,
      count(distinct sf_contact_id) as contacts_engaged_90,
      count(distinct if(seniority >= 3, sf_contact_id, null)) as senior_contacts_90,
      max(seniority) as max_seniority,
    from engaged_titles
    group by account_id
  ),

  senior_titles as (
    select account_id, title as most_senior_title,
    from (
      select account_id, title,
        row_number() over (partition by account_id order by seniority desc, title, sf_contact_id) as n,
      from engaged_titles
      where title is not null
    )
    where n = 1
  ),

  events as (
    select
      account_id,
      subject,
      start_at,
      row_number() over (partition by account_id
                         order by if(start_at < q.as_of, 0, 1),
                                  if(start_at < q.as_of, unix_seconds(start_at),
                                     -unix_seconds(start_at)) desc, event_id) as n,
    from sf_events
    cross join params as q
    where not is_deleted
      and account_id is not null
      and created_date < q.as_of
      and start_at is not null
  ),

  meetings as (
    select
      account_id,
      countif(start_at < q.as_of and date_diff(q.score_date, date(start_at), day) <= 30)
        as meetings_30,
      countif(start_at >= q.as_of and date_diff(date(start_at), q.score_date, day) < 30)
        as meetings_upcoming,
      max(if(start_at < q.as_of, start_at, null)) as last_meeting_at,
      max(if(n = 1, concat(if(start_at < q.as_of, 'held ', 'booked '), '"',
                           coalesce(subject, 'Meeting'), '" (', cast(date(start_at) as string), ')'), null))
        as meeting_evidence,
    from events
    cross join params as q
    group by account_id
  ),

  tasks as (
    select account_id, count(*) as tasks_30,
    from sf_tasks
    cross join params as q
    where not is_deleted
      and account_id is not null
      and created_date < q.as_of
      and activity_date < q.score_date
      and date_diff(q.score_date, activity_date, day) <= 30
    group by account_id
  ),

  open_opportunities as (
    select
      account_id,
      opportunity_name,
      stage_name,
      cast(amount as float64) as amount,
      probability,
      close_date,
      row_number() over (partition by account_id
                         order by coalesce(amount, 0) desc, close_date, opportunity_id) as n,
    from sf_opportunities
    cross join params as q
    where not is_deleted
      and not coalesce(is_closed, false)
      and account_id is not null
      and created_date < q.as_of
  ),

  opportunities as (
    select
      account_id,
      count(*) as open_opportunities,
      coalesce(sum(amount), 0) as open_amount,
      max(probability) as stage_probability,
      min(date_diff(close_date, q.score_date, day)) as days_to_close,
      max(if(n = 1, concat('"', coalesce(opportunity_name, 'Opportunity'), '"',
                           if(amount is null, '', concat(' for ', cast(cast(round(amount) as int64) as string))),
                           ' at ', coalesce(stage_name, 'an open stage'),
                           if(probability is null, '',
                              concat(' (', cast(cast(round(probability) as int64) as string), '%)')),
                           if(close_date is null, '', concat(', closes ', cast(close_date as string)))), null))
        as opportunity_evidence,
    from open_opportunities
    cross join params as q
    group by account_id
  ),

  features as (
    select
      a.account_id,
      q.score_date as score_date,
      a.account_name,
      a.owner_id,
      coalesce(d.emails_in_7, 0) as emails_in_7,
      coalesce(d.emails_in_30, 0) as emails_in_30,
      coalesce(d.emails_in_90, 0) as emails_in_90,
      coalesce(d.emails_out_7, 0) as emails_out_7,
      coalesce(d.emails_out_30, 0) as emails_out_30,
      coalesce(d.emails_out_90, 0) as emails_out_90,
      coalesce(d.calls_7, 0) as calls_7,
      coalesce(d.calls_30, 0) as calls_30,
      coalesce(d.calls_90, 0) as calls_90,
      round(coalesce(d.talk_minutes_30, 0), 2) as talk_minutes_30,
      round(coalesce(d.talk_minutes_90, 0), 2) as talk_minutes_90,
      coalesce(m.meetings_30, 0) as meetings_30,
      coalesce(m.meetings_upcoming, 0) as meetings_upcoming,
      coalesce(k.tasks_30, 0) as tasks_30,
      coalesce(s.contacts_engaged_90, 0) as contacts_engaged_90,
      coalesce(s.senior_contacts_90, 0) as senior_contacts_90,
      coalesce(s.max_seniority, 0) as max_seniority,
      st.most_senior_title,
      date_diff(q.score_date, date(d.last_inbound_at), day) as days_since_inbound,
      date_diff(q.score_date, date(d.last_outbound_at), day) as days_since_outbound,
      date_diff(q.score_date, date(greatest(coalesce(d.last_touch_at, m.last_meeting_at),
                                           coalesce(m.last_meeting_at, d.last_touch_at))), day) as days_since_touch,
      coalesce(d.last_inbound_at > coalesce(d.last_outbound_at, timestamp '1970-01-01 00:00:00+00'), false)
        as awaiting_reply,
      round(r.reply_latency_hours, 2) as reply_latency_hours,
      coalesce(o.open_opportunities, 0) as open_opportunities,
      coalesce(o.open_amount, 0) as open_amount,
      o.stage_probability,
      o.days_to_close,
      round(coalesce(d.budget_signal, 0), 4) as budget_signal,
      d.budget_discussed_at,
      d.pricing_asked_at,
      coalesce(d.pricing_sent_at > d.pricing_asked_at, false) as pricing_sent_since_ask,
      e.negative_signal,
      d.negative_at,
      e.budget_evidence,
      e.pricing_evidence,
      e.inbound_evidence,
      e.email_evidence,
      e.call_evidence,
      m.meeting_evidence,
      o.opportunity_evidence,
      e.negative_evidence,
      date(greatest(coalesce(d.last_touch_at, m.last_meeting_at), coalesce(m.last_meeting_at, d.last_touch_at)))
        as last_interaction_date,
      row_number() over (
        order by greatest(coalesce(d.last_touch_at, m.last_meeting_at), coalesce(m.last_meeting_at, d.last_touch_at))
          desc nulls last,
        a.account_id
      ) as activity_rank,
    from accounts as a
    cross join params as q
    left join doc_features as d using (account_id)
    left join evidence as e using (account_id)
    left join reply_latency as r using (account_id)
    left join seniority as s using (account_id)
    left join senior_titles as st using (account_id)
    left join meetings as m using (account_id)
    left join tasks as k using (account_id)
    left join opportunities as o using (account_id)
  )

  select features.*,
  from features
  cross join params as q
  where q.row_limit = 0 or features.activity_rank <= q.row_limit
) as s
on t.account_id = s.account_id and t.score_date = s.score_date
when matched then update set
  account_name = s.account_name, owner_id = s.owner_id,
  emails_in_7 = s.emails_in_7, emails_in_30 = s.emails_in_30, emails_in_90 = s.emails_in_90,
  emails_out_7 = s.emails_out_7, emails_out_30 = s.emails_out_30, emails_out_90 = s.emails_out_90,
  calls_7 = s.calls_7, calls_30 = s.calls_30, calls_90 = s.calls_90,
  talk_minutes_30 = s.talk_minutes_30, talk_minutes_90 = s.talk_minutes_90,
  meetings_30 = s.meetings_30, meetings_upcoming = s.meetings_upcoming, tasks_30 = s.tasks_30,
  contacts_engaged_90 = s.contacts_engaged_90, senior_contacts_90 = s.senior_contacts_90,
  max_seniority = s.max_seniority, most_senior_title = s.most_senior_title,
  days_since_inbound = s.days_since_inbound, days_since_outbound = s.days_since_outbound,
  days_since_touch = s.days_since_touch, awaiting_reply = s.awaiting_reply,
  reply_latency_hours = s.reply_latency_hours,
  open_opportunities = s.open_opportunities, open_amount = s.open_amount,
  stage_probability = s.stage_probability, days_to_close = s.days_to_close,
  budget_signal = s.budget_signal, budget_discussed_at = s.budget_discussed_at,
  pricing_asked_at = s.pricing_asked_at, pricing_sent_since_ask = s.pricing_sent_since_ask,
  negative_signal = s.negative_signal, negative_at = s.negative_at,
  budget_evidence = s.budget_evidence, pricing_evidence = s.pricing_evidence,
  inbound_evidence = s.inbound_evidence, email_evidence = s.email_evidence, call_evidence = s.call_evidence,
  meeting_evidence = s.meeting_evidence, opportunity_evidence = s.opportunity_evidence,
  negative_evidence = s.negative_evidence, last_interaction_date = s.last_interaction_date,
  activity_rank = s.activity_rank, computed_at = cast(@now as timestamp), _run_id = cast(@run_id as string)
when not matched then insert (
  account_id, score_date, account_name, owner_id, emails_in_7, emails_in_30, emails_in_90, emails_out_7,
  emails_out_30, emails_out_90, calls_7, calls_30, calls_90, talk_minutes_30, talk_minutes_90, meetings_30,
  meetings_upcoming, tasks_30, contacts_engaged_90, senior_contacts_90, max_seniority, most_senior_title,
  days_since_inbound, days_since_outbound, days_since_touch, awaiting_reply, reply_latency_hours,
  open_opportunities, open_amount, stage_probability, days_to_close, budget_signal, budget_discussed_at,
  pricing_asked_at, pricing_sent_since_ask, negative_signal, negative_at, budget_evidence, pricing_evidence,
  inbound_evidence, email_evidence, call_evidence, meeting_evidence, opportunity_evidence, negative_evidence,
  last_interaction_date, activity_rank, computed_at, _run_id
) values (
  s.account_id, s.score_date, s.account_name, s.owner_id, s.emails_in_7, s.emails_in_30, s.emails_in_90,
  s.emails_out_7, s.emails_out_30, s.emails_out_90, s.calls_7, s.calls_30, s.calls_90, s.talk_minutes_30,
  s.talk_minutes_90, s.meetings_30, s.meetings_upcoming, s.tasks_30, s.contacts_engaged_90, s.senior_contacts_90,
  s.max_seniority, s.most_senior_title, s.days_since_inbound, s.days_since_outbound, s.days_since_touch,
  s.awaiting_reply, s.reply_latency_hours, s.open_opportunities, s.open_amount, s.stage_probability,
  s.days_to_close, s.budget_signal, s.budget_discussed_at, s.pricing_asked_at, s.pricing_sent_since_ask,
  s.negative_signal, s.negative_at, s.budget_evidence, s.pricing_evidence, s.inbound_evidence, s.email_evidence,
  s.call_evidence, s.meeting_evidence, s.opportunity_evidence, s.negative_evidence, s.last_interaction_date,
  s.activity_rank, cast(@now as timestamp), cast(@run_id as string)
)
