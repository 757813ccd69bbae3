"""dlt sources for Amazon's seller data; never imports the sandbox."""
