"""Table hints of our own that dlt keeps in the schema, for the run summary to read."""

SNAPSHOT_HINT = "x-snapshot"  # rows are observations over time: the table grows by design
SNAPSHOT = {SNAPSHOT_HINT: True}
