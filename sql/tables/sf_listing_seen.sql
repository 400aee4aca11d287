-- salesforce-sync: the record ids each full listing has returned so far, appended batch by batch (load jobs,
-- never DML). When the listing completes, the live sf_* rows it did not return are flagged deleted (a hard
-- delete leaves no trace in queryAll once the recycle bin is emptied), then its ids are removed. A record read
-- twice by one listing (changed while it ran, or a batch re-read after a crash) has two rows.
-- key: listing_id, record_id, seen_at
-- grain: one record id returned by one batch of one full listing
create table if not exists sf_listing_seen (
  listing_id string not null,       -- run_id of the run that started the full listing
  object_type string not null,
  record_id string not null,
  seen_at timestamp not null,
  _run_id string
)
partition by date(seen_at)
cluster by listing_id, object_type
options (partition_expiration_days = 60, description = 'Record ids returned by unfinished full Salesforce listings');
