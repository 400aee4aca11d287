-- Salesforce rows per table
select
  'sf_accounts' as table_name,
  count(*) as row_count,
  countif(is_deleted) as deleted,
  max(system_modstamp) as newest
from sf_accounts
union all
select
  'sf_contacts' as table_name,
  count(*) as row_count,
  countif(is_deleted) as deleted,
  max(system_modstamp) as newest
from sf_contacts
union all
select
  'sf_leads' as table_name,
  count(*) as row_count,
  countif(is_deleted) as deleted,
  max(system_modstamp) as newest
from sf_leads
union all
select
  'sf_opportunities' as table_name,
  count(*) as row_count,
  countif(is_deleted) as deleted,
  max(system_modstamp) as newest
from sf_opportunities
union all
select
  'sf_tasks' as table_name,
  count(*) as row_count,
  countif(is_deleted) as deleted,
  max(system_modstamp) as newest
from sf_tasks
union all
select
  'sf_events' as table_name,
  count(*) as row_count,
  countif(is_deleted) as deleted,
  max(system_modstamp) as newest
from sf_events
union all
select
  'sf_email_messages' as table_name,
  count(*) as row_count,
  countif(is_deleted) as deleted,
  max(system_modstamp) as newest
from sf_email_messages
union all
select
  'sf_users' as table_name,
  count(*) as row_count,
  countif(is_deleted) as deleted,
  max(system_modstamp) as newest
from sf_users
