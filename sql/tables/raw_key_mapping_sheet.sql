-- The API-key → person mapping sheet, one snapshot per collection day, cells as typed (validated in views).
-- key: snapshot_date, row_number
-- grain: one sheet row as it read on one day
create table if not exists raw_key_mapping_sheet (
  snapshot_date date not null,
  row_number int64 not null,         -- the row's number in the sheet
  api_key_name string,
  user_email_text string,
  description string,
  platform string,
  valid_from_text string,            -- optional column: the day this row's owner took the key over
  raw_json string,                   -- the row's cells
  collected_at timestamp not null,
  _run_id string
)
partition by snapshot_date
options (description = 'Key-mapping sheet snapshots');
