"""The exceptions lmvp raises: one base class, and one class per thing a caller may want to handle."""


class LmvpError(Exception):
    """Something went wrong talking to an lmvp-server; the message is one line saying what."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


class AuthenticationError(LmvpError):
    """The server wants a (valid) token: none was found, or it is wrong, expired or revoked (HTTP 401)."""


class PermissionDeniedError(AuthenticationError):
    """The token is valid but its scope or the user's role does not allow this (HTTP 403)."""


class NotFoundError(LmvpError):
    """No such repository, revision or file, or one the caller may not see (HTTP 404)."""


class ConflictError(LmvpError):
    """Someone changed the branch or tag first (HTTP 409); read it again and retry."""


def for_status(status, message):
    """The exception for an HTTP error status and the server's one-line message."""
    if status == 401:
        return AuthenticationError(message, status)
    if status == 403:
        return PermissionDeniedError(message, status)
    if status == 404:
        return NotFoundError(message, status)
    if status == 409:
        return ConflictError(message, status)
    return LmvpError(message, status)
