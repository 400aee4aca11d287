-- account-scoring, step 3: scores, the recommended action and its reasons for @score_date from account_features
-- (one row per account and date in account_recommendations; rerunning a date replaces its rows). Formulas,
-- weights (@w_*, @b_*, @p_* settings) and the action rules: functions/account_scoring/README.md. Scores are
-- computed from unrounded terms and rounded (2 decimals) only when written.
merge into account_recommendations as t
using (
  with features as (
    select *
    from account_features
    where score_date = cast(@score_date as date)
      and (array_length(cast(@account_ids as array<string>)) = 0
           or account_id in unnest(cast(@account_ids as array<string>)))
      and _run_id = @run_id
  ),

  raw as (
    select
      f.*,
      @w_email_in * f.emails_in_30 + @w_email_out * f.emails_out_30 + @w_call * f.calls_30
        + @w_talk_minute * f.talk_minutes_30 + @w_meeting * (f.meetings_30 + f.meetings_upcoming)
        + @w_task * f.tasks_30 + @w_contact * f.contacts_engaged_90 + @w_seniority * f.max_seniority
        as engagement_raw,
      if(f.days_since_touch is null, 0,
         exp(-0.6931471805599453 * greatest(f.days_since_touch - 7, 0) / @engagement_half_life_days))
        as recency,
      @b_bias + @b_signal * f.budget_signal + @b_pricing * if(f.pricing_asked_at is not null, 1, 0)
        + @b_stage * coalesce(f.stage_probability, 0) / 100
        + @b_meeting * least(f.meetings_30 + f.meetings_upcoming, 3)
        + @b_senior * if(f.max_seniority >= 3, 1, 0)
        - @b_negative * if(f.negative_signal is not null, 1, 0) as budget_z,
      if(f.open_amount > 0,
         100 * least(1, log10(1 + f.open_amount) / log10(1 + @deal_amount_full))
           * if(f.days_to_close is not null and f.days_to_close <= @deal_close_days, 1, @deal_late_factor),
         0) as deal_score,
    from features as f
  ),

  scored as (
    select
      *,
      100 * (1 - exp(-engagement_raw / @engagement_scale)) * recency as engagement_value,
      100 / (1 + exp(-budget_z)) as budget_value,
    from raw
  ),

  prioritised as (
    select
      *,
      least(100, greatest(0,
        (@p_budget * budget_value + @p_engagement * engagement_value + @p_deal * deal_score)
          * if(negative_signal is not null, @p_negative_factor, 1))) as priority_value,
      case
        when negative_signal is not null then 'no action'
        when budget_discussed_at is not null
             and coalesce(days_since_outbound >= @call_now_days, true) then 'call now'
        when pricing_asked_at is not null and not pricing_sent_since_ask then 'send pricing'
        when open_opportunities > 0 and coalesce(days_since_touch >= @quiet_days, true) then 're-engage'
        when open_opportunities > 0 or coalesce(days_since_touch <= 90, false) then 'nurture'
        else 'no action'
      end as recommended_action,
    from scored
  ),

  candidates as (
    select
      account_id,
      [
        struct(1 as n, case negative_signal
          when 'not_interested' then concat('Said they are not interested: ', negative_evidence)
          when 'competitor' then concat('Said they chose another vendor: ', negative_evidence)
          when 'unsubscribe' then concat('Asked to be unsubscribed: ', negative_evidence)
        end as reason),
        struct(2, if(budget_evidence is null, null, concat('Budget talk: ', budget_evidence))),
        struct(3, if(pricing_evidence is null, null,
                     concat('Asked about pricing: ', pricing_evidence,
                            if(pricing_sent_since_ask, '', '; no pricing sent since')))),
        struct(4, if(awaiting_reply and days_since_inbound is not null,
                     concat('Waiting for our reply for ', cast(days_since_inbound as string),
                            if(days_since_inbound = 1, ' day: ', ' days: '), inbound_evidence), null)),
        struct(5, if(opportunity_evidence is null, null, concat('Open opportunity ', opportunity_evidence))),
        struct(6, if(meeting_evidence is null, null,
                     concat(cast(meetings_30 as string), if(meetings_30 = 1, ' meeting', ' meetings'),
                            ' in the last 30 days, ', cast(meetings_upcoming as string), ' booked; latest ',
                            meeting_evidence))),
        struct(7, if(calls_30 = 0 or call_evidence is null, null,
                     concat(cast(calls_30 as string), if(calls_30 = 1, ' call', ' calls'), ' in the last 30 days (',
                            cast(cast(round(talk_minutes_30) as int64) as string), ' talk minutes); latest ',
                            call_evidence))),
        struct(8, if(emails_in_30 + emails_out_30 = 0 or email_evidence is null, null,
                     concat(cast(emails_in_30 as string), if(emails_in_30 = 1, ' email', ' emails'),
                            ' from them and ', cast(emails_out_30 as string), ' from us in the last 30 days; latest ',
                            email_evidence))),
        struct(9, if(most_senior_title is null, null,
                     concat('Most senior contact engaged: ', most_senior_title, ' (',
                            cast(contacts_engaged_90 as string),
                            if(contacts_engaged_90 = 1, ' person', ' people'), ' in 90 days)'))),
        struct(10, if(days_since_touch is null, 'No email, call or meeting on record',
                      if(days_since_touch >= @quiet_days,
                         concat('No email, call or meeting for ', cast(days_since_touch as string), ' days'),
                         null))),
        struct(11, if(open_opportunities = 0, 'No open opportunity', null)),
        struct(12, if(budget_evidence is null and pricing_evidence is null,
                      'No budget or pricing talk in the last 90 days', null))
      ] as options,
    from prioritised
  ),

  reasons as (
    select
      account_id,
      array(select o.reason from unnest(options) as o where o.reason is not null order by o.n limit 5) as reasons,
    from candidates
  ),

  final as (
    select
      p.account_id,
      p.score_date,
      p.account_name,
      p.owner_id,
      round(p.priority_value, 2) as priority_score,
      round(p.budget_value, 2) as budget_likelihood,
      round(p.engagement_value, 2) as engagement_score,
      p.recommended_action,
      r.reasons,
      p.last_interaction_date,
      to_json_string(struct(
        p.emails_in_7, p.emails_in_30, p.emails_in_90, p.emails_out_7, p.emails_out_30, p.emails_out_90,
        p.calls_7, p.calls_30, p.calls_90, p.talk_minutes_30, p.talk_minutes_90, p.meetings_30,
        p.meetings_upcoming, p.tasks_30, p.contacts_engaged_90, p.senior_contacts_90, p.max_seniority,
        p.days_since_inbound, p.days_since_outbound, p.days_since_touch, p.awaiting_reply,
        p.reply_latency_hours, p.open_opportunities, p.open_amount, p.stage_probability, p.days_to_close,
        p.budget_signal, p.pricing_sent_since_ask, p.negative_signal,
        p.budget_discussed_at is not null as budget_discussed, p.pricing_asked_at is not null as pricing_asked,
        round(p.engagement_raw, 6) as engagement_raw, round(p.budget_z, 6) as budget_z,
        round(p.deal_score, 6) as deal_score
      )) as features,
      cast(@model_version as string) as model_version,
    from prioritised as p
    join reasons as r using (account_id)
  )

  select * from final
) as s
on t.account_id = s.account_id and t.score_date = s.score_date
when matched then update set
  account_name = s.account_name, owner_id = s.owner_id, priority_score = s.priority_score,
  budget_likelihood = s.budget_likelihood, engagement_score = s.engagement_score,
  recommended_action = s.recommended_action, reasons = s.reasons, last_interaction_date = s.last_interaction_date,
  features = s.features, model_version = s.model_version, narrative = cast(null as string),
  narrative_model = cast(null as string), scored_at = cast(@now as timestamp), _run_id = cast(@run_id as string)
when not matched then insert (
  account_id, score_date, account_name, owner_id, priority_score, budget_likelihood, engagement_score,
  recommended_action, reasons, last_interaction_date, features, model_version, narrative, narrative_model,
  scored_at, _run_id
) values (
  s.account_id, s.score_date, s.account_name, s.owner_id, s.priority_score, s.budget_likelihood,
  s.engagement_score, s.recommended_action, s.reasons, s.last_interaction_date, s.features, s.model_version,
  cast(null as string), cast(null as string), cast(@now as timestamp), cast(@run_id as string)
)
