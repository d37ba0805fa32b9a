import datetime as dt
from decimal import Decimal

import pytest

from partners import services
from partners.models import Certification, Industry, PartnerCertification
from partners.signals import partners_changed
from tests.partners.factories import (
    CertificationFactory,
    PartnerFactory,
    PerformanceRecordFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def changed_signals():
    received: list[dict] = []

    def receiver(sender, partner_ids, reason, **kwargs):
        received.append({"partner_ids": partner_ids, "reason": reason})

    partners_changed.connect(receiver)
    yield received
    partners_changed.disconnect(receiver)


class TestRollup:
    def test_rollup_sums_the_trailing_twelve_months_including_the_current_one(self):
        # given: records from 13 months ago (outside) up to this month
        partner = PartnerFactory(revenue_12m=None, deals_won_12m=None)
        today = dt.date(2026, 11, 26)
        PerformanceRecordFactory(
            partner=partner, month=dt.date(2025, 11, 1), revenue=Decimal("999"), deals_won=9
        )
        PerformanceRecordFactory(
            partner=partner, month=dt.date(2025, 12, 1), revenue=Decimal("100.50"), deals_won=1
        )
        PerformanceRecordFactory(
            partner=partner, month=dt.date(2026, 11, 1), revenue=Decimal("200"), deals_won=2
        )
        # when
        updated = services.partners_rollup_performance(partner_ids=[partner.id], today=today)
        # then
        partner.refresh_from_db()
        assert updated == 1
        assert partner.revenue_12m == Decimal("300.50")
        assert partner.deals_won_12m == 3

    def test_rollup_leaves_partners_without_changed_records_as_imported(self):
        # given
        with_records = PartnerFactory(revenue_12m=Decimal("1"))
        imported = PartnerFactory(revenue_12m=Decimal("777"), deals_won_12m=7)
        PerformanceRecordFactory(partner=with_records, month=dt.date(2026, 10, 1))
        # when
        services.partners_rollup_performance(partner_ids=None, today=dt.date(2026, 11, 1))
        # then
        imported.refresh_from_db()
        with_records.refresh_from_db()
        assert imported.revenue_12m == Decimal("777")
        assert with_records.revenue_12m == Decimal("10000.00")

    def test_upserting_records_rolls_up_and_announces_the_change(
        self, changed_signals, django_capture_on_commit_callbacks
    ):
        # given
        partner = PartnerFactory(revenue_12m=None)
        month = dt.date.today().replace(day=1)
        # when
        with django_capture_on_commit_callbacks(execute=True):
            services.performance_records_upsert(
                records=[
                    {"partner_id": partner.id, "month": month, "revenue": "50", "deals_won": 1},
                ]
            )
            services.performance_records_upsert(
                records=[
                    {"partner_id": partner.id, "month": month, "revenue": "80", "deals_won": 2},
                ]
            )
        # then: the second write replaced the month, not added to it
        partner.refresh_from_db()
        assert partner.revenue_12m == Decimal("80")
        assert partner.deals_won_12m == 2
        assert changed_signals[-1] == {"partner_ids": [partner.id], "reason": "performance"}


class TestTagsAndCertifications:
    def test_tags_replace_creates_unknown_slugs_and_removes_stale_links(self):
        # given
        partner = PartnerFactory(industries=["finance", "retail"])
        # when
        services.partner_tags_replace(
            field="industries", partner_ids_to_slugs={partner.id: ["retail", "energy"]}
        )
        # then
        assert sorted(partner.industries.values_list("slug", flat=True)) == ["energy", "retail"]
        assert Industry.objects.filter(slug="finance").exists()

    def test_certifications_replace_keeps_dates_of_kept_ones_and_sets_expiry(self):
        # given
        CertificationFactory(slug="kept", validity_days=100)
        CertificationFactory(slug="new", validity_days=10)
        partner = PartnerFactory()
        services.partner_certifications_replace(
            partner_ids_to_slugs={partner.id: ["kept"]}, earned_at=dt.date(2026, 1, 1)
        )
        # when
        services.partner_certifications_replace(
            partner_ids_to_slugs={partner.id: ["kept", "new", "unknown"]},
            earned_at=dt.date(2026, 6, 1),
        )
        # then
        awards = {
            award.certification.slug: award
            for award in PartnerCertification.objects.filter(partner=partner)
        }
        assert awards["kept"].earned_at == dt.date(2026, 1, 1)
        assert awards["new"].expires_at == dt.date(2026, 6, 11)
        assert awards["unknown"].expires_at is None
        assert Certification.objects.filter(slug="unknown").exists()


class TestPartnerWrites:
    def test_create_and_update_announce_the_change_after_commit(
        self, changed_signals, django_capture_on_commit_callbacks
    ):
        # when
        with django_capture_on_commit_callbacks(execute=True):
            partner = services.partner_create(
                data={"external_id": "N-1", "name": "New", "partner_type": "var"}
            )
        with django_capture_on_commit_callbacks(execute=True):
            services.partner_update(partner=partner, data={"region": "na"})
        # then
        assert changed_signals == [
            {"partner_ids": [partner.id], "reason": "create"},
            {"partner_ids": [partner.id], "reason": "update"},
        ]

    def test_no_change_is_announced_when_the_transaction_rolls_back(self, changed_signals):
        with pytest.raises(RuntimeError), services.transaction.atomic():
            services.partner_create(data={"external_id": "R", "name": "R", "partner_type": "var"})
            raise RuntimeError
        assert changed_signals == []
