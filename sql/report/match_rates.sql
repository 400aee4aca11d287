-- Entity-resolution match rates per source and method over the 30 days to the latest activity (v_match_rates)
with window_end as (
  select max(activity_date) as last_date from v_match_rates
),

recent as (
  select r.*
  from v_match_rates as r
  cross join window_end as w
  where r.activity_date > date_sub(w.last_date, interval 30 day)
),

final as (
  select
    source,
    match_method,
    sum(row_count) as row_count,
    sum(ambiguous_rows) as ambiguous_rows,
    safe_divide(sum(row_count), sum(sum(row_count)) over (partition by source)) as share,
    min(min(activity_date)) over (partition by source) as first_date,
    max(max(activity_date)) over (partition by source) as last_date,
  from recent
  group by source, match_method
)

select * from final
order by source, row_count desc, match_method
