"""Cache key naming shared by every cache backend we configure."""


def make_key(key: str, key_prefix: str, version: int) -> str:
    """Use the contract's key names as they are.

    Django's default is ``<prefix>:<version>:<key>``; the contract promises keys
    such as ``product:<uuid>`` with no version segment, and at most one
    deployment-wide prefix (``CACHE_KEY_PREFIX``).
    """
    return f"{key_prefix}:{key}" if key_prefix else key
