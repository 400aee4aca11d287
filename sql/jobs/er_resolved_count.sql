-- entity-resolution: rows this run wrote, per target table (each write stamps resolved_at with the run's time).
select
  (select count(*) from gmail_participants where resolved_at = cast(@now as timestamp)) as gmail_participants,
  (select count(*) from dialpad_calls where resolved_at = cast(@now as timestamp)) as dialpad_calls,
