-- salesforce-sync: which of the ids getDeleted reported are stored and not yet flagged deleted (an id never
-- stored, created and deleted between two runs, gets no row).
with stored as (
  select 'Account' as object_type, account_id as record_id, is_deleted from sf_accounts
  union all
  select 'Contact', contact_id, is_deleted from sf_contacts
  union all
  select 'Lead', lead_id, is_deleted from sf_leads
  union all
  select 'Opportunity', opportunity_id, is_deleted from sf_opportunities
  union all
  select 'Task', task_id, is_deleted from sf_tasks
  union all
  select 'Event', event_id, is_deleted from sf_events
  union all
  select 'EmailMessage', email_message_id, is_deleted from sf_email_messages
),

final as (
  select record_id
  from stored
  where object_type = @object_type
    and record_id in unnest(@record_ids)
    and not is_deleted
)

select * from final
