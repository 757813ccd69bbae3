"""Deterministic generators for the sandbox's world: sellers, catalog and orders."""
