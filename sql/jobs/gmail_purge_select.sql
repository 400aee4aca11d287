-- gmail-sync `purge`: the stored messages of one mailbox that the current privacy filter would not store, and the
-- ids of participant or attachment rows left without a message (a purge cut short after deleting the message
-- rows: the next purge finds and removes them). Labels in @skip_labels; a participant on @excluded_addresses or on
-- a domain of @excluded_domains (or a subdomain); with @external_only, no participant outside @internal_domains.
with messages as (
  select message_id, labels
  from gmail_messages
  where mailbox = @mailbox
),

people as (
  select
    message_id,
    email_address,
    substr(email_address, strpos(email_address, '@') + 1) as address_domain,
  from gmail_participants
  where mailbox = @mailbox
),

labelled as (
  select message_id
  from messages
  where exists (select 1 from unnest(labels) as label where label in unnest(@skip_labels))
),

excluded as (
  select distinct message_id
  from people
  where email_address in unnest(@excluded_addresses)
    or address_domain in unnest(@excluded_domains)
    or exists (
      select 1 from unnest(cast(@excluded_domains as array<string>)) as excluded_domain
      where ends_with(address_domain, concat('.', excluded_domain))
    )
),

internal as (
  select m.message_id
  from messages as m
  where @external_only
    and not exists (
      select 1 from people as p
      where p.message_id = m.message_id and p.address_domain not in unnest(@internal_domains)
    )
),

orphans as (
  select message_id from gmail_participants
  where mailbox = @mailbox and message_id not in (select message_id from messages)
  union distinct
  select message_id from gmail_attachments
  where mailbox = @mailbox and message_id not in (select message_id from messages)
),

final as (
  select message_id from labelled
  union distinct
  select message_id from excluded
  union distinct
  select message_id from internal
  union distinct
  select message_id from orphans
)

select message_id from final
order by message_id
