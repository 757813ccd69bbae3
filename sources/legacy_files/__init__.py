"""Archive import: a folder of saved MWS, ECS and AIM responses and report files, loaded by
the mws, paapi and aim sources into the same tables as their live data, with lineage."""
