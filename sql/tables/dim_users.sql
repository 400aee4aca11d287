-- People who use AI tools: email, name, team (from the mapping sheet or Cursor members).
-- key: user_email
-- grain: one person
create table if not exists dim_users (
  user_email string not null,
  user_name string,
  team string,
  source string,
  updated_at timestamp not null
)
options (description = 'AI tool users');
