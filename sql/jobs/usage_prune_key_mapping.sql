-- Today's sheet snapshot replaces an earlier one of the same day: drop rows beyond the sheet's end.
delete from raw_key_mapping_sheet
where snapshot_date in unnest(@days)
  and concat(cast(snapshot_date as string), '|', cast(row_number as string)) not in unnest(@keys)
