-- The optional people tab of the mapping spreadsheet (USAGE_PEOPLE_RANGE): name and team per email.
-- key: user_email
-- grain: one person as last read
create table if not exists raw_people_sheet (
  user_email string not null,        -- trimmed and lowercased
  user_name string,
  team string,
  row_number int64,
  collected_at timestamp not null,
  _run_id string
)
options (description = 'People tab of the usage mapping spreadsheet');
