"""The framework every simulated service plugs into: routing, errors, formats, limits, tokens."""
