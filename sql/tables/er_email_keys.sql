-- entity-resolution's one definition of a normalised address: every address seen in gmail_participants,
-- sf_contacts, sf_leads, sf_users and manual_mappings with its match key. Rebuilt by each run that resolves
-- emails (jobs/er_build_email_keys.sql); rows of addresses no longer seen are deleted.
-- key: email_address
-- grain: one trimmed, lower-cased address
create table if not exists er_email_keys (
  email_address string not null,     -- trimmed, lower-cased
  email_key string not null,         -- +tag removed; for gmail.com / googlemail.com dots removed, gmail.com
  email_domain string,               -- the host part of email_key
  built_at timestamp not null        -- when this row was last inserted or changed
)
cluster by email_key
options (description = 'entity-resolution: normalised email match keys');
