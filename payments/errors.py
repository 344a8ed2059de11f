from ecommerce.errors import ApplicationError, Conflict, ErrorCode


class PaymentFailed(ApplicationError):
    code = ErrorCode.PAYMENT_FAILED
    message = "The payment provider refused the operation."


class RefundExceedsCapture(Conflict):
    message = "The refund would exceed what was captured and not yet refunded."


class PaymentNotRefundable(Conflict):
    message = "Only a captured payment can be refunded."


class InvalidSignature(ApplicationError):
    code = ErrorCode.INVALID_SIGNATURE
    message = "The webhook signature is missing, stale or does not match."


class InvalidWebhookEvent(ApplicationError):
    code = ErrorCode.VALIDATION_ERROR
    message = "The webhook event is malformed."


class PaymentTokenInvalid(ApplicationError):
    code = ErrorCode.VALIDATION_ERROR
    message = "The payment token cannot be charged."


class UnknownPaymentIntent(ApplicationError):
    code = ErrorCode.NOT_FOUND
    message = "The event names a payment this shop does not know."
