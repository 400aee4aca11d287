-- Entity-resolution match rates per source (email participants, calls) × day × match method, with an
-- `unmatched` bucket. Internal rows are left out of every count (never matched, not in the denominators), and so
-- are rows the resolver has not looked at yet (is_internal null).
-- share: the bucket's rows / the day's external rows; matched_share: the day's matched rows / its external rows
-- (the same on every bucket of a day); ambiguous_share: the bucket's ambiguous rows / its rows.
create or replace view v_match_rates as
with resolved as (
  select
    'email' as source,
    date(sent_at) as activity_date,
    match_method,
    is_ambiguous,
  from gmail_participants
  where not is_internal
  union all
  select
    'call' as source,
    date(call_time) as activity_date,
    match_method,
    is_ambiguous,
  from dialpad_calls
  where not is_internal
),

buckets as (
  select
    source,
    activity_date,
    coalesce(match_method, 'unmatched') as match_method,
    count(*) as row_count,
    countif(is_ambiguous) as ambiguous_rows,
  from resolved
  group by 1, 2, 3
),

days as (
  select
    source,
    activity_date,
    sum(row_count) as external_rows,
    sum(if(match_method = 'unmatched', 0, row_count)) as matched_rows,
  from buckets
  group by 1, 2
),

final as (
  select
    b.source,
    b.activity_date,
    b.match_method,
    b.row_count,
    b.ambiguous_rows,
    d.external_rows,
    safe_divide(b.row_count, d.external_rows) as share,
    safe_divide(d.matched_rows, d.external_rows) as matched_share,
    safe_divide(b.ambiguous_rows, b.row_count) as ambiguous_share,
  from buckets as b
  join days as d on d.source = b.source and d.activity_date is not distinct from b.activity_date
)

select * from final
