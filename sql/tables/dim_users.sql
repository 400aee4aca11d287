-- People who use AI tools: email, name, team (from the people tab, Cursor members, the mapping sheet and usage).
-- key: user_email
-- grain: one person
create table if not exists dim_users (
  user_email string not null,
  user_name string,
  team string,
  source string,                     -- people_sheet | cursor | key_mapping | usage: where the person was found
  is_cursor_member bool,
  updated_at timestamp not null
)
options (description = 'AI tool users');
