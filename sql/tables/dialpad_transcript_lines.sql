-- One line of a Dialpad call transcript (a spoken line or a detected moment), in Dialpad's order.
-- key: call_id, line_no
-- grain: one line of one call's transcript
create table if not exists dialpad_transcript_lines (
  call_id string not null,
  line_no int64 not null,            -- 1-based position in the transcript
  line_type string,                  -- transcript | moment | custom_moment | real_time_moment | ai_question
  speaker string,                    -- the participant's name as Dialpad labels the line
  speaker_role string,               -- rep (a Dialpad user) | contact
  speaker_id string,                 -- Dialpad user_id or contact_id
  text string,
  spoken_at timestamp,
  offset_seconds float64,            -- seconds after the call connected (or started, if it never connected)
  call_time timestamp,
  ingested_at timestamp not null,
  _run_id string
)
partition by date(call_time)
cluster by call_id
options (description = 'Dialpad call transcripts, one row per line');
