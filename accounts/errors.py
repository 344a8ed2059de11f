"""Domain errors of accounts, rendered by the one exception handler."""

from ecommerce.errors import ApplicationError, Conflict, ErrorCode


class EmailTaken(Conflict):
    message = "An account with this e-mail address already exists."


class InvalidCredentials(ApplicationError):
    code = ErrorCode.INVALID_CREDENTIALS
    message = ErrorCode.INVALID_CREDENTIALS.message


class TokenInvalid(ApplicationError):
    code = ErrorCode.TOKEN_INVALID
    message = ErrorCode.TOKEN_INVALID.message


class PasswordResetTokenInvalid(ApplicationError):
    code = ErrorCode.VALIDATION_ERROR
    message = "The password reset token is invalid or has expired."
