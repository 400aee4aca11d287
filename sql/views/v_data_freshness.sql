-- Per source table: newest record, when we last loaded it, and how many hours old the newest record is.
create or replace view v_data_freshness as
with newest as (
  select 'gmail_messages' as table_name, 'gmail' as source_system,
    max(sent_at) as newest_record_at, max(ingested_at) as last_loaded_at from gmail_messages
  union all
  select 'sf_accounts', 'salesforce', max(system_modstamp), max(_synced_at) from sf_accounts
  union all
  select 'sf_contacts', 'salesforce', max(system_modstamp), max(_synced_at) from sf_contacts
  union all
  select 'sf_leads', 'salesforce', max(system_modstamp), max(_synced_at) from sf_leads
  union all
  select 'sf_opportunities', 'salesforce', max(system_modstamp), max(_synced_at) from sf_opportunities
  union all
  select 'sf_tasks', 'salesforce', max(system_modstamp), max(_synced_at) from sf_tasks
  union all
  select 'sf_events', 'salesforce', max(system_modstamp), max(_synced_at) from sf_events
  union all
  select 'sf_email_messages', 'salesforce', max(system_modstamp), max(_synced_at) from sf_email_messages
  union all
  select 'sf_users', 'salesforce', max(system_modstamp), max(_synced_at) from sf_users
  union all
  select 'dialpad_calls', 'dialpad', max(call_time), max(ingested_at) from dialpad_calls
  union all
  select 'raw_anthropic_usage', 'anthropic', max(bucket_start), max(collected_at) from raw_anthropic_usage
  union all
  select 'raw_anthropic_cost', 'anthropic', max(bucket_start), max(collected_at) from raw_anthropic_cost
  union all
  select 'raw_cursor_usage', 'cursor', max(timestamp(usage_date)), max(collected_at) from raw_cursor_usage
  union all
  select 'raw_cursor_spend', 'cursor', max(timestamp(snapshot_date)), max(collected_at) from raw_cursor_spend
  union all
  select 'raw_cursor_usage_events', 'cursor', max(event_at), max(collected_at) from raw_cursor_usage_events
  union all
  select 'raw_anthropic_claude_code', 'anthropic', max(timestamp(usage_date)), max(collected_at)
  from raw_anthropic_claude_code
  union all
  select 'raw_key_mapping_sheet', 'sheets', max(timestamp(snapshot_date)), max(collected_at) from raw_key_mapping_sheet
),

final as (
  select
    table_name,
    source_system,
    newest_record_at,
    last_loaded_at,
    timestamp_diff(current_timestamp(), newest_record_at, hour) as hours_since_newest_record,
    timestamp_diff(current_timestamp(), last_loaded_at, hour) as hours_since_last_load,
  from newest
)

select * from final
