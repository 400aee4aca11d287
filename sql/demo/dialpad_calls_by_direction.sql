-- Dialpad calls by direction
select
  direction,
  count(*) as calls,
  countif(has_transcript) as transcribed,
  round(avg(duration_seconds), 1) as avg_seconds,
  count(distinct external_number) as customers
from dialpad_calls
group by
  direction
order by
  direction
