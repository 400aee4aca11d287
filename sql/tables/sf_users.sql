-- Salesforce User (the sales reps and admins who own records).
-- key: user_id
-- grain: one Salesforce User
create table if not exists sf_users (
  user_id string not null,
  username string,                  -- login name (Username)
  user_name string,                 -- display name (Name)
  first_name string,
  last_name string,
  email string,
  email_normalized string,
  title string,
  phone string,
  phone_e164 string,
  department string,
  user_type string,
  is_active bool,
  profile_id string,                -- ProfileId → sf_profiles
  role_id string,                   -- UserRoleId → sf_user_roles (null: no role)
  created_date timestamp,
  last_modified_date timestamp,
  system_modstamp timestamp not null,
  is_deleted bool not null,        -- always false: users are deactivated (is_active = false), never deleted
  deleted_at timestamp,            -- always null (kept so every sf_* table has the same bookkeeping columns)
  _synced_at timestamp not null,
  _run_id string
)
options (description = 'Salesforce users');
