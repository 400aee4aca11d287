-- Salesforce Profile (what a user may do: System Administrator, a sales profile, API Only, ...).
-- key: profile_id
-- grain: one Salesforce Profile
create table if not exists sf_profiles (
  profile_id string not null,
  profile_name string,              -- Name, as sf_users.profile_id's profile is shown in Setup
  description string,
  created_date timestamp,
  last_modified_date timestamp,
  system_modstamp timestamp not null,
  is_deleted bool not null,        -- always false: profiles are not in the recycle bin (kept for the shared bookkeeping)
  deleted_at timestamp,            -- always null
  _synced_at timestamp not null,
  _run_id string
)
options (description = 'Salesforce profiles');
