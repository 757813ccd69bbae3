"""Amazon Inventory Management (AIM), 2004-2010: Basic auth, parameters in headers."""
