"""HTTP routers of the catalogue, under /api/v1. Only translation between HTTP and the
logic modules lives here."""
