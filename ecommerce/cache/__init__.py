"""The cache and what stands on it: key naming, Redis resilience (the fail-fast
pool and fail-open client every Redis user shares), the embedded file cache
without Redis, and the admin's sessions."""
