"""Rate limiting: the throttles, the X-RateLimit-* headers they count for, and the
refusals counted before DRF throttles."""
