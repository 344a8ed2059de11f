"""ISO 3166-1 alpha-2 country codes (django-countries' list), for addresses, zones and taxes."""

from django_countries import countries

# Sorted, for the schema's enum (orders.serializers.CountryCodeField).
COUNTRY_CODES = tuple(sorted(code for code, _ in countries))
_CODES = frozenset(COUNTRY_CODES)


def country_code_problem(code: object) -> str | None:
    """None when ``code`` is an assigned alpha-2 code (upper case), else what is wrong."""
    if not isinstance(code, str) or len(code) != 2 or not code.isascii() or not code.isupper():
        return f"{code!r} is not an ISO 3166-1 alpha-2 code (two capital letters, e.g. US)."
    if code not in _CODES:
        return f"{code} is not an ISO 3166-1 alpha-2 country code."
    return None


def country_code_valid(code: object) -> bool:
    return country_code_problem(code) is None
