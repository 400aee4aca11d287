-- Problems in the latest key-mapping snapshot, to log after loading it.
select
  row_number,
  api_key_name,
  api_key_id,
  issue,
  cost_usd,
from v_mapping_issues
order by row_number, api_key_name
