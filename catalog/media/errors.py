"""Domain errors of product media, rendered by the one exception handler.

Both name the ``file`` field in ``details``, as a validation error would.
"""

from ecommerce.errors import ApplicationError, ErrorCode


class ImageTypeUnsupported(ApplicationError):
    code = ErrorCode.UNSUPPORTED_MEDIA_TYPE
    message = "Only JPEG, PNG and WebP images are accepted (recognised from the file's bytes)."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message)
        self.details = {"file": [self.message]}


class ImageInvalid(ApplicationError):
    """A JPEG, PNG or WebP that cannot be used: corrupt, truncated, or too many pixels."""

    code = ErrorCode.VALIDATION_ERROR
    message = "The image is corrupt or truncated."

    def __init__(self, message: str | None = None, *, reason: str = "invalid_image") -> None:
        super().__init__(message)
        self.reason = reason
        self.details = {"file": [self.message]}


class ProductNotInCatalog(ApplicationError):
    """The product was removed from the catalog (or never existed) while media were added."""

    code = ErrorCode.NOT_FOUND
    message = "Not found."
