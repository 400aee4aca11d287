-- Data freshness
select
  table_name,
  newest_record_at,
  last_loaded_at,
from v_data_freshness
where last_loaded_at is not null
order by table_name
