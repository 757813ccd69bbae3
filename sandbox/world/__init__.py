"""The seeded world (`sandbox/seed/`) as the services show it: what more than one service
renders from it (orders, report documents, Seller Central's file conventions) lives here once."""
