-- Age of the newest record and of the last load per source table, in minutes (v_data_freshness)
select
  table_name,
  source_system,
  newest_record_at,
  last_loaded_at,
  timestamp_diff(current_timestamp(), newest_record_at, minute) as minutes_since_newest_record,
  timestamp_diff(current_timestamp(), last_loaded_at, minute) as minutes_since_last_load,
from v_data_freshness
order by source_system, table_name
