from ecommerce.errors import ApplicationError, Conflict, ErrorCode


class OrderInvalid(ApplicationError):
    code = ErrorCode.VALIDATION_ERROR
    message = "The order is not valid."


class IdempotencyKeyInvalid(ApplicationError):
    """An ``Idempotency-Key`` header that is not 1 to 255 visible ASCII characters."""

    code = ErrorCode.VALIDATION_ERROR
    message = ErrorCode.VALIDATION_ERROR.message


class IdempotencyKeyReused(ApplicationError):
    code = ErrorCode.IDEMPOTENCY_KEY_REUSED
    message = "This Idempotency-Key was already used with a different request body."


class IdempotencyRequestInProgress(Conflict):
    code = ErrorCode.IDEMPOTENCY_REQUEST_IN_PROGRESS
    message = "A request with this Idempotency-Key is still being processed. Retry shortly."
