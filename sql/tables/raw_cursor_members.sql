-- Cursor Admin API team members, as last listed.
-- key: user_email
-- grain: one Cursor team member
create table if not exists raw_cursor_members (
  user_email string not null,        -- email trimmed and lowercased
  email string,                      -- as returned
  name string,
  role string,                       -- owner | member | free-owner
  member_id string,
  is_removed bool,
  raw_json string,
  collected_at timestamp not null,
  _run_id string
)
options (description = 'Cursor team members as listed by the Admin API');
