"""Access requests, clauses, agreements, policy evaluation, grants and the access log.
Depends on `catalogue`."""
