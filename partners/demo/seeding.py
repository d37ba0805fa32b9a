"""The demo's entry points for `seed_demo`: seed (one transaction, then the performance
roll-up), flush the demo partners, and ensure the demo logins."""

from __future__ import annotations

import numpy as np
from auditlog.context import disable_auditlog
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from partners.demo.bulk import _rows_write
from partners.demo.generation import _external_id, _partners_plan, _pick_sets
from partners.demo.tiers import _tiers_align
from partners.demo.vocabulary import DEMO_PREFIX, INDUSTRIES, TECHNOLOGIES
from partners.demo.writing import (
    _catalogue_ensure,
    _certifications_write,
    _contacts_write,
    _partners_write,
    _performance_write,
)
from partners.models import (
    Contact,
    Industry,
    Partner,
    PartnerCertification,
    PerformanceRecord,
    Technology,
)
from partners.services import partners_rollup_performance

MANAGER_LOGIN = ("manager", "manager-demo")
PARTNER_LOGIN = ("partner", "partner-demo")


class DemoDataExists(Exception):
    """Demo partners (external ids DEMO-…) are already in the database."""


def demo_seed(*, partners: int, seed: int) -> dict[str, int]:
    """Write `partners` demo partners (DEMO-0000001…) with contacts, tags, certifications and
    24 months of performance in one transaction, then roll up revenue_12m/deals_won_12m.

    Deterministic for (partners, seed). Raises DemoDataExists if demo partners exist.
    Returns the number of rows written per kind.
    """
    if partners < 1:
        raise ValueError("partners must be at least 1")
    rng = np.random.default_rng(seed)
    today = timezone.localdate()
    with transaction.atomic():
        if Partner.objects.filter(external_id__startswith=DEMO_PREFIX).exists():
            raise DemoDataExists("demo partners already exist")
        catalogue = _catalogue_ensure()
        plan = _partners_plan(rng, n=partners, today=today)
        ids = _partners_write(plan, tier_ids=catalogue["tiers"], today=today)
        counts = {"partners": len(ids)}
        for field, tag_model, slugs in (
            ("industries", Industry, list(INDUSTRIES)),
            ("technologies", Technology, list(TECHNOLOGIES)),
        ):
            picks = _pick_sets(rng, n=partners, options=len(slugs), most=3)
            through = getattr(Partner, field).through
            tag_ids = catalogue[field]
            rows = ((ids[i], tag_ids[slugs[j]]) for i, js in enumerate(picks) for j in js)
            counts[f"{tag_model._meta.model_name}_tags"] = _rows_write(
                through, ["partner_id", f"{tag_model._meta.model_name}_id"], rows
            )
        counts["certifications"] = _certifications_write(
            rng, plan=plan, ids=ids, catalogue=catalogue, today=today
        )
        counts["contacts"] = _contacts_write(rng, plan=plan, ids=ids)
        counts["performance_records"] = _performance_write(rng, plan=plan, ids=ids, today=today)
        if connection.vendor == "postgresql":
            # Fresh statistics so the roll-up (and the first segment evaluations) plan well.
            with connection.cursor() as cursor:
                tables = [Partner, Contact, PartnerCertification, PerformanceRecord]
                cursor.execute("ANALYZE " + ", ".join(m._meta.db_table for m in tables))
        # One UPDATE for all partners with records; when other partners are kept (--flush),
        # only the demo ones, so that imported ERP figures stay as given.
        others_exist = Partner.objects.exclude(external_id__startswith=DEMO_PREFIX).exists()
        partners_rollup_performance(partner_ids=ids if others_exist else None, today=today)
        # Tiers as the tier rules give them, but for a few promotions waiting for review.
        counts["pending_tier_changes"] = _tiers_align(today=today)
    return counts


def demo_flush() -> int:
    """Delete the demo partners (DEMO-…) with everything hanging off them; returns how many."""
    partners = Partner.objects.filter(external_id__startswith=DEMO_PREFIX)
    count = partners.count()
    # Without an audit entry per deleted partner and contact: a diff of every row made the
    # flush of 2,000 demo partners take a minute, and the demo data was never anyone's.
    with transaction.atomic(), disable_auditlog():
        partners.delete()
    return count


@transaction.atomic
def demo_logins_ensure() -> dict[str, tuple[str, str]]:
    """Create or reset the demo logins (idempotent): `manager` (staff, superuser) and
    `partner`, linked to the first contact of the first demo partner if there is one (made
    its company's partner admin). Returns {role: (username, password)}."""
    user_model = get_user_model()
    username, password = MANAGER_LOGIN
    manager, _ = user_model.objects.get_or_create(username=username)
    manager.first_name, manager.last_name = "Morgan", "Reyes"
    manager.email = manager.email or "manager@prm.example"
    manager.is_active = manager.is_staff = manager.is_superuser = True
    manager.set_password(password)
    manager.save()

    username, password = PARTNER_LOGIN
    partner_user, _ = user_model.objects.get_or_create(username=username)
    partner_user.is_active = True
    partner_user.is_staff = partner_user.is_superuser = False
    contact = Contact.objects.filter(partner__external_id=_external_id(0)).order_by("id").first()
    if contact is not None:
        partner_user.first_name, partner_user.last_name = contact.first_name, contact.last_name
        partner_user.email = contact.email
    partner_user.set_password(password)
    partner_user.save()
    if contact is not None and contact.user_id != partner_user.id:
        Contact.objects.filter(user=partner_user).update(user=None, updated_at=timezone.now())
        contact.user = partner_user
        contact.save(update_fields=["user", "updated_at"])
    if contact is not None and not contact.is_partner_admin:
        # The demo partner user runs their company's portal: team and company profile.
        contact.is_partner_admin = True
        contact.save(update_fields=["is_partner_admin", "updated_at"])
    return {"channel manager": MANAGER_LOGIN, "partner user": PARTNER_LOGIN}
