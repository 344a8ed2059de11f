"""Domain errors of product media, rendered by the one exception handler.

Both name the ``file`` field in ``details``, as a validation error would.
"""

from ecommerce.api.errors import ApplicationError


class ImageTypeUnsupported(ApplicationError):
    code = "unsupported_media_type"
    status = 415
    message = "Only JPEG, PNG and WebP images are accepted (recognised from the file's bytes)."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message)
        self.details = {"file": [self.message]}


class ImageInvalid(ApplicationError):
    """A JPEG, PNG or WebP that cannot be used: corrupt, truncated, or too many pixels."""

    code = "validation_error"
    status = 400
    message = "The image is corrupt or truncated."

    def __init__(self, message: str | None = None, *, reason: str = "invalid_image") -> None:
        super().__init__(message)
        self.reason = reason
        self.details = {"file": [self.message]}


class ProductNotInCatalog(ApplicationError):
    """The product was removed from the catalog (or never existed) while media were added."""

    code = "not_found"
    status = 404
    message = "Not found."
