from ecommerce.errors import ApplicationError, ErrorCode


class CheckoutInvalid(ApplicationError):
    """A basket, address, shipping method or code that cannot be priced; ``details``
    names the field (``discountCode``, ``shippingMethod``, ``shippingAddress.country``)."""

    code = ErrorCode.VALIDATION_ERROR
    message = "The checkout is not valid."

    def __init__(self, message: str | None = None, *, details=None) -> None:
        super().__init__(message, details=details)
