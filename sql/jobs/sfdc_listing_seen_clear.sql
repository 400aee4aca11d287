-- salesforce-sync: forget the ids a completed full listing returned, once its reconciliation is committed.
delete from sf_listing_seen
where listing_id = @listing_id
  and object_type = @object_type
