from ecommerce.api.errors import ApplicationError, Conflict


class OrderInvalid(ApplicationError):
    code = "validation_error"
    status = 400
    message = "The order is not valid."


class IdempotencyKeyReused(ApplicationError):
    code = "idempotency_key_reused"
    status = 422
    message = "This Idempotency-Key was already used with a different request body."


class IdempotencyRequestInProgress(Conflict):
    code = "idempotency_request_in_progress"
    message = "A request with this Idempotency-Key is still being processed. Retry shortly."
