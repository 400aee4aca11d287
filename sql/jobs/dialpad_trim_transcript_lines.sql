-- Lines past the current length of re-fetched transcripts (Dialpad re-transcribed a call shorter, or dropped
-- its transcript): dialpad_calls.transcript_line_count is written before this runs.
delete from dialpad_transcript_lines
where call_id in unnest(@call_ids)
  and exists (
    select 1
    from dialpad_calls as c
    where c.call_id = dialpad_transcript_lines.call_id
      and dialpad_transcript_lines.line_no > coalesce(c.transcript_line_count, 0)
  )
