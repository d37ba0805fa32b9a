"""The admin of API tokens: knox's, with the policy of prm/api/auth.py (every token expires)
and without the token digest in the list."""

from django.contrib import admin
from django.utils import timezone
from knox.admin import AuthTokenAdmin, AuthTokenCreateForm
from knox.models import AuthToken
from knox.settings import knox_settings


class ExpiringAuthTokenCreateForm(AuthTokenCreateForm):
    """knox's add form (the token is shown once, in a message), with an expiry required and
    proposed PRM_API_TOKEN_TTL_DAYS ahead."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        expiry = self.fields["expiry"]
        expiry.required = True
        expiry.initial = lambda: timezone.now() + knox_settings.TOKEN_TTL
        expiry.help_text = "Every API token expires."


admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class ApiTokenAdmin(AuthTokenAdmin):
    add_form = ExpiringAuthTokenCreateForm
    list_display = ("token_key", "user", "created", "expiry")
    list_select_related = ("user",)
    search_fields = ("token_key", "user__username")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("token_key", "user", "created")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("user", "expiry")
        return ("token_key", "user", "created", "expiry")
