"""Amzpecty, the third-party ASIN snapshot service: Add calls, queues, callbacks, Get by rid."""
