-- Entity-resolution match rates by method (external rows; internal people left out)
select
  source,
  match_method,
  sum(row_count) as row_count,
  round(safe_divide(sum(row_count), sum(sum(row_count)) over (partition by source)) * 100, 1) as pct,
  sum(ambiguous_rows) as ambiguous,
from v_match_rates
group by
  source,
  match_method
order by
  source,
  row_count desc,
  match_method
