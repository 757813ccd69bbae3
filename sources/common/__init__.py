"""Shared by every source: clock, pacing, retries, redaction, Arrow rows; no dlt decorators."""
