"""`manage.py seed_demo` and partners/demo.py: realistic, deterministic demo data and logins."""

from decimal import Decimal
from io import StringIO

import pytest
from auditlog.models import LogEntry
from dateutil.relativedelta import relativedelta
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db.models import Count, Max, Min, Sum
from django.utils import timezone

from audit.models import AuditEntry
from partners import demo
from partners.models import (
    Certification,
    Contact,
    ContactRole,
    LifecycleStage,
    Partner,
    PartnerCertification,
    PartnerType,
    PerformanceRecord,
    Region,
)
from tests.partners.factories import PartnerFactory, PerformanceRecordFactory

pytestmark = pytest.mark.django_db

PARTNERS = 40


def seed_demo(*args: str, partners: int = PARTNERS, seed: int = 7) -> str:
    out = StringIO()
    call_command("seed_demo", "--partners", str(partners), "--seed", str(seed), *args, stdout=out)
    return out.getvalue()


PARTNER_COLUMNS = (
    "external_id", "name", "partner_type", "tier__slug", "region", "country", "employee_count",
    "annual_revenue", "lifecycle_stage", "joined_at", "tech_savviness", "engagement_score",
    "last_activity_at", "attributes", "revenue_12m", "deals_won_12m",
)  # fmt: skip
CONTACT_COLUMNS = (
    "partner__external_id", "first_name", "last_name", "email", "phone", "job_title", "role",
    "interests", "language", "email_opt_in",
)  # fmt: skip


def snapshot() -> dict[str, list]:
    """Everything seeded, by natural keys (database ids differ between runs)."""
    by_partner = Partner.objects.order_by("external_id")
    return {
        "partners": list(by_partner.values_list(*PARTNER_COLUMNS)),
        "industries": list(
            Partner.industries.through.objects.order_by(
                "partner__external_id", "industry__slug"
            ).values_list("partner__external_id", "industry__slug")
        ),
        "technologies": list(
            Partner.technologies.through.objects.order_by(
                "partner__external_id", "technology__slug"
            ).values_list("partner__external_id", "technology__slug")
        ),
        "contacts": list(Contact.objects.order_by("email").values_list(*CONTACT_COLUMNS)),
        "certifications": list(
            PartnerCertification.objects.order_by(
                "partner__external_id", "certification__slug"
            ).values_list("partner__external_id", "certification__slug", "earned_at", "expires_at")
        ),
        "performance": list(
            PerformanceRecord.objects.order_by("partner__external_id", "month").values_list(
                "partner__external_id", "month", "revenue", "deals_registered", "deals_won"
            )
        ),
    }


def test_seed_creates_partners_of_every_type_region_stage_and_tier():
    # given an empty database
    # when
    output = seed_demo()

    # then
    partners = Partner.objects.all()
    assert partners.count() == PARTNERS
    assert f"{PARTNERS} partners" in output
    assert set(partners.values_list("partner_type", flat=True)) == set(PartnerType.values)
    assert set(partners.values_list("region", flat=True)) == set(Region.values)
    assert set(partners.values_list("lifecycle_stage", flat=True)) == set(LifecycleStage.values)
    # every partner on the tier the tier rules give (registered asks for nothing)
    tiers = set(partners.values_list("tier__slug", flat=True))
    # (platinum is for the top 3%: none among 40, see test_seed_revenue_follows_tier)
    assert {"registered", "silver", "gold"} <= tiers <= {"registered", "silver", "gold", "platinum"}
    assert sorted(partners.values_list("external_id", flat=True))[:2] == [
        "DEMO-0000001",
        "DEMO-0000002",
    ]
    assert partners.values("name").distinct().count() == PARTNERS


def test_seed_gives_each_partner_a_plausible_profile():
    # given an empty database
    # when
    seed_demo()

    # then
    today = timezone.localdate()
    for partner in Partner.objects.all():
        assert partner.country.code in demo.COUNTRIES[partner.region]
        assert 1 <= partner.tech_savviness <= 5
        assert 0 <= partner.engagement_score <= 100
        assert today - relativedelta(years=11) <= partner.joined_at <= today
        assert partner.last_activity_at < timezone.now()
        assert {"crm_owner", "partner_program", "nda_signed"} <= partner.attributes.keys()
        assert partner.industries.count() <= 3
        assert partner.technologies.count() <= 3


def test_seed_gives_contacts_of_every_role_with_unique_emails():
    # given an empty database
    # when
    seed_demo()

    # then
    per_partner = Partner.objects.annotate(n=Count("contacts")).aggregate(
        least=Min("n"), most=Max("n")
    )
    assert per_partner["least"] >= 1
    assert per_partner["most"] <= 5
    contacts = Contact.objects.all()
    assert set(contacts.values_list("role", flat=True)) == set(ContactRole.values)
    emails = list(contacts.values_list("email", flat=True))
    assert len(emails) == len(set(emails))
    assert all(email == email.lower() and email.endswith(".example") for email in emails)
    assert contacts.filter(email_opt_in=True).count() > contacts.count() / 2


def test_seed_awards_certifications_from_the_catalogue_some_expired():
    # given an empty database
    # when
    seed_demo()

    # then
    assert set(Certification.objects.values_list("slug", flat=True)) >= set(demo.CERTIFICATIONS)
    awards = PartnerCertification.objects.select_related("certification")
    assert awards.exists()
    for award in awards:
        validity = award.certification.validity_days
        assert (award.expires_at - award.earned_at).days == validity
    assert PartnerCertification.objects.active().count() < awards.count()


def test_seed_writes_24_monthly_records_per_partner_ending_this_month():
    # given an empty database
    # when
    seed_demo()

    # then
    this_month = timezone.localdate().replace(day=1)
    per_partner = PerformanceRecord.objects.values("partner").annotate(
        n=Count("id"), first=Min("month"), last=Max("month")
    )
    assert len(per_partner) == PARTNERS
    for row in per_partner:
        assert row["n"] == 24
        assert row["last"] == this_month
        assert row["first"] == this_month - relativedelta(months=23)
    assert PerformanceRecord.objects.filter(deals_won__gt=0).exists()
    assert not PerformanceRecord.objects.filter(revenue__gt=0, deals_won=0).exists()


def test_seed_rolls_up_revenue_12m_from_the_last_12_months_of_records():
    # given an empty database
    # when
    seed_demo()

    # then
    window_start = timezone.localdate().replace(day=1) - relativedelta(months=11)
    partners = Partner.objects.order_by("-revenue_12m")[:3].union(
        Partner.objects.filter(lifecycle_stage=LifecycleStage.APPLICANT)[:1], all=True
    )
    for partner in partners:
        expected = PerformanceRecord.objects.filter(
            partner=partner, month__gte=window_start
        ).aggregate(revenue=Sum("revenue"), won=Sum("deals_won"))
        assert partner.revenue_12m == expected["revenue"]
        assert partner.deals_won_12m == expected["won"]
    assert Partner.objects.order_by("-revenue_12m").first().revenue_12m > 0


def test_seed_revenue_follows_tier():
    # given an empty database
    # when
    seed_demo(partners=400)

    # then the typical partner of a better tier sells more through the vendor
    medians = []
    for slug in ["registered", "silver", "gold", "platinum"]:
        revenues = sorted(
            Partner.objects.filter(tier__slug=slug).values_list("revenue_12m", flat=True)
        )
        medians.append(revenues[len(revenues) // 2])
    assert medians == sorted(medians)


def test_seed_is_deterministic_for_the_same_seed():
    # given a database seeded once
    seed_demo(seed=11)
    first = snapshot()

    # when it is flushed and seeded again with the same seed
    output = seed_demo("--flush", seed=11)

    # then
    assert f"Deleted {PARTNERS} demo partners" in output
    assert snapshot() == first


def test_seed_differs_for_another_seed():
    # given a database seeded with one seed
    seed_demo(seed=11)
    first = snapshot()

    # when seeded again with another
    seed_demo("--flush", seed=12)

    # then
    second = snapshot()
    assert [row[1] for row in second["partners"]] != [row[1] for row in first["partners"]]
    assert [row[-2] for row in second["partners"]] != [row[-2] for row in first["partners"]]


def test_seed_writes_the_same_rows_without_postgres_copy(monkeypatch):
    # given the data written through COPY
    seed_demo(seed=5)
    through_copy = snapshot()
    demo.demo_flush()

    # when written through bulk_create, as on SQLite
    monkeypatch.setattr("partners.demo.bulk._copy_supported", lambda: False)
    seed_demo(seed=5)

    # then
    assert snapshot() == through_copy


def test_seed_if_empty_skips_when_partners_exist():
    # given a partner from an import
    PartnerFactory(external_id="CRM-1")

    # when
    output = seed_demo("--if-empty")

    # then
    assert "no demo data seeded" in output
    assert list(Partner.objects.values_list("external_id", flat=True)) == ["CRM-1"]
    assert authenticate(username="manager", password="manager-demo") is not None


def test_seed_if_empty_seeds_an_empty_database():
    # given an empty database
    # when
    seed_demo("--if-empty")

    # then
    assert Partner.objects.count() == PARTNERS


def test_seed_refuses_when_partners_exist():
    # given a partner from an import
    PartnerFactory(external_id="CRM-1")

    # when / then
    with pytest.raises(CommandError, match="--if-empty"):
        seed_demo()
    assert Partner.objects.count() == 1


def test_seed_flush_replaces_demo_partners_and_keeps_others():
    # given demo data and a partner from an import
    seed_demo()
    PartnerFactory(external_id="CRM-1")

    # when
    seed_demo("--flush", partners=10)

    # then
    assert Partner.objects.filter(external_id__startswith="DEMO-").count() == 10
    assert Partner.objects.filter(external_id="CRM-1").exists()


def test_seed_flush_keeps_the_erp_figures_of_imported_partners():
    # given an imported partner whose revenue_12m came from the ERP, with an older record
    imported = PartnerFactory(external_id="CRM-1", revenue_12m=Decimal("400000.00"))
    PerformanceRecordFactory(partner=imported, revenue=Decimal("10.00"))

    # when
    seed_demo("--flush")

    # then
    imported.refresh_from_db()
    assert imported.revenue_12m == Decimal("400000.00")


def test_seed_ensures_demo_logins():
    # given an empty database
    # when
    output = seed_demo()

    # then
    manager = authenticate(username="manager", password="manager-demo")
    assert manager is not None
    assert manager.is_staff
    assert manager.is_superuser
    partner_user = authenticate(username="partner", password="partner-demo")
    assert partner_user is not None
    assert not partner_user.is_staff
    first_contact = Contact.objects.filter(partner__external_id="DEMO-0000001").order_by("id")[0]
    assert partner_user.contact == first_contact
    assert first_contact.partner.lifecycle_stage == LifecycleStage.ACTIVE
    assert first_contact.partner.tier.slug == "gold"
    assert "manager / manager-demo" in output
    assert "partner / partner-demo" in output


def test_seed_demo_logins_are_idempotent_and_follow_a_reseed():
    # given seeded demo data with its logins
    seed_demo()

    # when the command runs again (skipping) and then reseeds
    seed_demo("--if-empty")
    seed_demo("--flush")

    # then there is one of each login, linked to the new first contact
    partner_user = authenticate(username="partner", password="partner-demo")
    assert Contact.objects.filter(user=partner_user).count() == 1
    assert partner_user.contact.partner.external_id == "DEMO-0000001"
    assert authenticate(username="manager", password="manager-demo") is not None


def test_seed_rejects_a_non_positive_partner_count():
    # given / when / then
    with pytest.raises(CommandError, match="at least 1"):
        seed_demo(partners=0)


def test_seed_flush_deletes_the_demo_data_without_an_audit_entry_per_row():
    # given seeded demo data
    seed_demo()

    # when it is flushed and seeded again
    seed_demo("--flush")

    # then no deletion was diffed into the audit log, row by row (that took a minute)
    assert not AuditEntry.objects.filter(action=LogEntry.Action.DELETE).exists()
    assert Partner.objects.count() == PARTNERS
