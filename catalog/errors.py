"""Domain errors of the catalog, rendered by the one exception handler."""

from typing import Any

from ecommerce.api.errors import Conflict


class SlugTaken(Conflict):
    message = "Another product already uses this slug."

    def __init__(self, message: str | None = None, *, details: Any = None) -> None:
        super().__init__(
            message,
            details=details if details is not None else {"slug": [self.message]},
        )
