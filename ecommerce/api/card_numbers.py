"""Card numbers never enter the system: a request body carrying one is refused.

The shop takes a provider's token (Stripe.js makes a PaymentMethod in the
browser), never card data: a body with anything shaped like a card number
(13 to 19 digits standing alone, spaces or dashes between them allowed,
passing the Luhn check) is a 400 that names the field, not the number. Neither the number nor
the body is logged.
"""

import re
from collections.abc import Iterator
from typing import Any

from ecommerce.errors import ApplicationError, ErrorCode

# Not inside a longer word: the hex of an id (prod_<32 hex>) holds digit runs too.
_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])(?:\d[ -]?){12,18}\d(?![0-9A-Za-z])")


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def card_number_in(text: str) -> bool:
    # A UUID's groups can be all digits: it is an id, not a card.
    text = _UUID.sub(" ", text)
    return any(luhn_valid(re.sub(r"\D", "", match.group())) for match in _CANDIDATE.finditer(text))


def card_number_fields(data: Any, path: str = "") -> Iterator[str]:
    """Paths (``items[0].note``, ``card``) of the strings in ``data`` that hold a card number.

    Numbers count too (a JSON number of 16 digits is a card number as well).
    Iterative, so a deeply nested body cannot exhaust the recursion limit.
    """
    stack: list[tuple[str, Any]] = [(path, data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, bool):
            continue
        if isinstance(value, str | int):
            if card_number_in(str(value)):
                yield where or "nonFieldErrors"
        elif isinstance(value, dict):
            for key, item in value.items():
                name = str(key)
                if card_number_in(name):
                    yield where or "nonFieldErrors"
                    continue
                stack.append((f"{where}.{name}" if where else name, item))
        elif isinstance(value, list):
            stack.extend((f"{where}[{index}]", item) for index, item in enumerate(value))


class CardDataRefused(ApplicationError):
    code = ErrorCode.VALIDATION_ERROR
    message = (
        "Card numbers are never accepted: tokenize the card in the browser with the "
        "payment provider's library (Stripe.js) and send its token as paymentToken."
    )


def card_data_refuse(data: Any) -> None:
    """Raise CardDataRefused naming each field of ``data`` that holds a card number."""
    fields = sorted(set(card_number_fields(data)))
    if fields:
        raise CardDataRefused(
            details={field: ["Card numbers are never accepted."] for field in fields}
        )
