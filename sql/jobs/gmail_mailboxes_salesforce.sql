-- gmail-sync, GMAIL_MAILBOX_SOURCE=salesforce: the active users with one of the profiles or roles (names in
-- lower case; the settings' names match in any case).
select distinct
  lower(trim(u.email)) as mailbox,
from sf_users as u
left join sf_profiles as p on p.profile_id = u.profile_id
left join sf_user_roles as r on r.role_id = u.role_id
where u.is_active
  and u.email is not null
  and (
    lower(p.profile_name) in unnest(cast(@profiles as array<string>))
    or lower(r.role_name) in unnest(cast(@roles as array<string>))
  )
order by mailbox
