-- Salesforce UserRole (the role hierarchy: a user's place in it, sf_users.role_id).
-- key: role_id
-- grain: one Salesforce UserRole
create table if not exists sf_user_roles (
  role_id string not null,
  role_name string,                 -- Name, as shown in Setup
  developer_name string,            -- DeveloperName, the API name
  parent_role_id string,            -- ParentRoleId: the role above (null at the top)
  created_date timestamp,
  last_modified_date timestamp,
  system_modstamp timestamp not null,
  is_deleted bool not null,        -- always false: roles are not in the recycle bin (kept for the shared bookkeeping)
  deleted_at timestamp,            -- always null
  _synced_at timestamp not null,
  _run_id string
)
options (description = 'Salesforce user roles');
