-- account-scoring: rows this run wrote — documents whose signals it (re)computed, and recommendations of the
-- score date.
select
  (select count(*) from activity_signals where computed_at = @now) as activity_signals,
  (select count(*) from account_recommendations
   where score_date = cast(@score_date as date) and _run_id = @run_id
     and (array_length(cast(@account_ids as array<string>)) = 0
           or account_id in unnest(cast(@account_ids as array<string>)))) as account_recommendations,
