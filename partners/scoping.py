"""The one place where a partner user's reads and writes are scoped to their own company.

Every model a partner user can reach declares `partner_scope`: the lookup from the model to
its Partner ("pk" for Partner itself). Every partner-portal view, form, API endpoint and file
download gets its rows through `scoped()` / `scoped_get_or_404()`, so another company's row is
simply not there: a 404, never a 403 that confirms it exists. A model without
`partner_scope` cannot be scoped by accident: `scoped()` refuses it loudly.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.http import Http404

from partners.models import Contact, Partner


def _queryset(model_or_queryset) -> models.QuerySet:
    if isinstance(model_or_queryset, models.QuerySet):
        return model_or_queryset
    return model_or_queryset._default_manager.all()


def partner_scope_of(model: type[models.Model]) -> str:
    """The model's lookup to its Partner; ImproperlyConfigured when it declares none."""
    path = getattr(model, "partner_scope", None)
    if not path:
        raise ImproperlyConfigured(
            f"{model._meta.label} declares no partner_scope: it cannot be shown to partner users."
        )
    return path


def scoped(model_or_queryset, *, partner: Partner) -> models.QuerySet:
    """The rows of `model_or_queryset` that belong to `partner`, and no others."""
    queryset = _queryset(model_or_queryset)
    return queryset.filter(**{partner_scope_of(queryset.model): partner.pk})


def scoped_get_or_404(model_or_queryset, *, partner: Partner, **lookups) -> models.Model:
    """One row of `partner`'s by `lookups`; Http404 for a row of any other partner."""
    try:
        return scoped(model_or_queryset, partner=partner).get(**lookups)
    except (models.ObjectDoesNotExist, ValueError, TypeError) as error:
        raise Http404("No such object.") from error


def scoped_ids(model_or_queryset, *, partner: Partner, ids) -> list[int]:
    """The subset of `ids` that are `partner`'s rows: forms use it to reject foreign ids."""
    return list(
        scoped(model_or_queryset, partner=partner)
        .filter(pk__in=list(ids))
        .values_list("pk", flat=True)
    )


def user_contact(user) -> Contact | None:
    """The contact of an active, non-staff login (a partner user), else None."""
    if not (user and user.is_authenticated and user.is_active) or user.is_staff:
        return None
    return Contact.objects.select_related("partner", "partner__tier").filter(user=user).first()
