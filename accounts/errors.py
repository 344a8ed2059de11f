from ecommerce.api.errors import ApplicationError, Conflict, InvalidCredentials, TokenInvalid

__all__ = ["EmailTaken", "InvalidCredentials", "PasswordResetTokenInvalid", "TokenInvalid"]


class EmailTaken(Conflict):
    message = "An account with this e-mail address already exists."


class PasswordResetTokenInvalid(ApplicationError):
    code = "validation_error"
    status = 400
    message = "The password reset token is invalid or has expired."
