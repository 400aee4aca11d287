"""BigQuery fidelity: ZetaSQL analyzer over every SQL text and the differential check (make sqlcheck)."""
