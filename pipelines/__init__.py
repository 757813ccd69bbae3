"""The pipeline: choose sources, load them into DuckDB with dlt, build the dbt models."""
