from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = "The object is still in use."
    default_code = "conflict"


def exception_handler(exc, context):
    """DRF's handler, plus Django ValidationErrors raised by services answered as 400, and a
    delete the database refuses (still referenced) answered as 409."""
    if isinstance(exc, ProtectedError | RestrictedError):
        referenced_by = sorted({str(obj._meta.verbose_name) for obj in exc.args[1]})
        exc = Conflict(f"Still in use by: {', '.join(referenced_by)}.")
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:
            exc = exceptions.ValidationError(exc.messages)
    return drf_exception_handler(exc, context)
