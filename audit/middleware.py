"""Every request's changes are recorded as the signed-in user's (portal and API alike)."""

from audit.context import audit_actor


class AuditActorMiddleware:
    """Sets the request as the audit actor. The user is read when an entry is written, not
    here: DRF authenticates a token inside the view (and sets it on this request then)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with audit_actor(request=request, remote_addr=request.META.get("REMOTE_ADDR")):
            return self.get_response(request)
