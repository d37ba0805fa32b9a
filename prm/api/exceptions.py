from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.db.models import ProtectedError, RestrictedError
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = "The object is still in use."
    default_code = "conflict"


def exception_handler(exc, context):
    """DRF's handler, plus Django ValidationErrors raised by services answered as 400, a
    delete the database refuses (still referenced) answered as 409, and a value the database
    cannot store or compare (out of its range: a time zone offset past ±15:59, a string past a
    column's length) answered as 400 rather than 500."""
    if isinstance(exc, DataError):
        exc = exceptions.ValidationError(
            {"detail": "A value is out of the range the database accepts."}
        )
    if isinstance(exc, ProtectedError | RestrictedError):
        referenced_by = sorted({str(obj._meta.verbose_name) for obj in exc.args[1]})
        exc = Conflict(f"Still in use by: {', '.join(referenced_by)}.")
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:
            exc = exceptions.ValidationError(exc.messages)
    return drf_exception_handler(exc, context)


@csrf_exempt  # a POST without a CSRF token gets the same 404, not the HTML CSRF page
def api_not_found(request, *args, **kwargs):
    """An /api/ path that names no endpoint (or an id of the wrong shape): 404 in JSON, as
    every other API answer, not the HTML page of the site."""
    return JsonResponse({"detail": "Not found."}, status=404)
