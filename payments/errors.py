from ecommerce.api.errors import ApplicationError, Conflict


class PaymentFailed(ApplicationError):
    code = "payment_failed"
    status = 402
    message = "The payment provider refused the operation."


class RefundExceedsCapture(Conflict):
    message = "The refund would exceed what was captured and not yet refunded."


class PaymentNotRefundable(Conflict):
    message = "Only a captured payment can be refunded."


class InvalidSignature(ApplicationError):
    code = "invalid_signature"
    status = 400
    message = "The webhook signature is missing, stale or does not match."


class InvalidWebhookEvent(ApplicationError):
    code = "validation_error"
    status = 400
    message = "The webhook event is malformed."


class PaymentTokenInvalid(ApplicationError):
    code = "validation_error"
    status = 400
    message = "The payment token cannot be charged."


class UnknownPaymentIntent(ApplicationError):
    code = "not_found"
    status = 404
    message = "The event names a payment this shop does not know."
