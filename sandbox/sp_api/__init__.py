"""The Selling Partner API: auth, usage plans and each API family's operations."""
