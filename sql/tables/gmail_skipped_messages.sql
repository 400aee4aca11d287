-- Ids of messages gmail-sync fetched and left out under its privacy filter (no content: the id, why, and which
-- filter), so a later listing under the same filter does not fetch them again; a changed filter fetches them
-- anew and decides again.
-- key: mailbox, message_id
-- grain: one skipped message in one mailbox
create table if not exists gmail_skipped_messages (
  mailbox string not null,
  message_id string not null,
  reason string,                     -- label, excluded or internal
  filter_key string,                 -- the privacy filter's settings, hashed (MailFilter.key)
  ingested_at timestamp,             -- when the run that left it out fetched it
  _run_id string
)
options (description = 'Gmail message ids the privacy filter left out');
