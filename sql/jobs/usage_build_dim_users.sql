-- Rebuild dim_users: everyone found in the people tab, Cursor's member list, the key mapping or the usage,
-- with the name and team from the people tab first, then Cursor.
merge into dim_users as t
using (
  with emails as (
    select user_email, 'people_sheet' as source, 1 as priority from raw_people_sheet
    union all
    select user_email, 'cursor', 2 from raw_cursor_members
    union all
    select user_email, 'key_mapping', 3 from dim_api_keys where user_email is not null
    union all
    select distinct user_email, 'usage', 4 from fct_usage_daily where user_email is not null
  ),

  people as (
    select
      user_email,
      any_value(source having min priority) as source,
    from emails
    group by user_email
  ),

  final as (
    select
      p.user_email,
      coalesce(s.user_name, c.name) as user_name,
      s.team,
      p.source,
      c.user_email is not null and not coalesce(c.is_removed, false) as is_cursor_member,
    from people as p
    left join raw_people_sheet as s using (user_email)
    left join raw_cursor_members as c using (user_email)
  )

  select * from final
) as s
on t.user_email = s.user_email
when matched and (
  t.user_name is distinct from s.user_name
  or t.team is distinct from s.team
  or t.source is distinct from s.source
  or t.is_cursor_member is distinct from s.is_cursor_member
) then update set
  user_name = s.user_name,
  team = s.team,
  source = s.source,
  is_cursor_member = s.is_cursor_member,
  updated_at = @now
when not matched then insert (user_email, user_name, team, source, is_cursor_member, updated_at)
values (s.user_email, s.user_name, s.team, s.source, s.is_cursor_member, @now)
when not matched by source then delete
