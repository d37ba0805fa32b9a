"""The audit trail: who changed what, when — through the manager portal, the API, an import
command and a scheduled job — and the History views on the partner and segment pages."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.context import audit_actor
from audit.models import AuditEntry
from audit.selectors import object_history
from communications.models import Campaign, CampaignStatus
from communications.services.campaigns import campaign_pause
from enablement.models import ContentItem
from partners import services
from partners.models import Partner
from partners.tasks import partners_rollup_performance_task, tiers_evaluate_task
from segments.models import Segment
from segments.services import segment_evaluate
from tests.communications.factories import CampaignFactory
from tests.enablement.factories import ContentItemFactory
from tests.partners.factories import (
    PartnerCertificationFactory,
    PartnerFactory,
    PerformanceRecordFactory,
    tier,
)
from tests.partners.test_imports import contact_row, csv_bytes, partner_row, upload
from tests.partners.test_views import _form_data
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, manager):
    client.force_login(manager)
    return client


def history(model, object_id) -> list[AuditEntry]:
    return list(object_history(model=model, object_id=object_id))


class TestWhoChangedWhat:
    def test_a_manager_portal_edit_records_the_manager_with_old_and_new(
        self, staff_client, manager
    ):
        # given
        partner = PartnerFactory(name="Before", industries=["healthcare"], tier=tier("silver"))
        data = _form_data(
            external_id=partner.external_id,
            name="After",
            tier=tier("gold").pk,
            industries=["healthcare"],
            new_industries="retail",
            new_technologies="",
            attributes="",
        )
        AuditEntry.objects.all().delete()
        # when
        response = staff_client.post(reverse("partners:update", args=[partner.pk]), data)
        # then
        assert response.status_code == 302
        entries = history(Partner, partner.pk)
        assert entries and all(entry.actor == manager for entry in entries)
        changes = {field: change for entry in entries for field, change in entry.changes.items()}
        assert changes["name"] == ["Before", "After"]
        assert changes["tier"] == ["Silver", "Gold"]
        assert changes["industries"] == ["healthcare", "healthcare, retail"]
        assert {entry.remote_addr for entry in entries} == {"127.0.0.1"}

    def test_an_api_edit_records_the_token_user(self, manager_client, manager):
        # given
        partner = PartnerFactory(region="emea")
        AuditEntry.objects.all().delete()
        # when
        response = manager_client.patch(
            f"/api/partners/{partner.id}/", {"region": "na"}, format="json"
        )
        # then
        assert response.status_code == 200
        [entry] = history(Partner, partner.pk)
        assert entry.actor == manager
        assert entry.system_actor == ""
        assert entry.changes == {"region": ["emea", "na"]}

    def test_an_import_command_records_the_named_job_for_each_changed_partner(self, tmp_path):
        # given one partner that the file changes, one it leaves as it is, one it creates
        changed = PartnerFactory(external_id="P-0001", name="Old name")
        rows = [
            partner_row(external_id="P-0001", name="New name"),
            partner_row(external_id="P-0002"),
        ]
        path = tmp_path / "partners.csv"
        path.write_bytes(csv_bytes(rows))
        call_command("import_partners", str(path), stdout=io.StringIO())
        AuditEntry.objects.all().delete()
        rows.append(partner_row(external_id="P-0003", name="Brand new"))
        rows[0]["name"] = "Newer name"
        path.write_bytes(csv_bytes(rows))
        # when
        call_command("import_partners", str(path), stdout=io.StringIO())
        # then only the changed and the created partner have an entry, by the command
        entries = AuditEntry.objects.filter(content_type__model="partner")
        by_partner = {entry.object_id: entry for entry in entries}
        created = Partner.objects.get(external_id="P-0003")
        assert set(by_partner) == {changed.pk, created.pk}
        assert {entry.system_actor for entry in entries} == {"import_partners command"}
        assert {entry.actor_id for entry in entries} == {None}
        assert by_partner[changed.pk].changes == {"name": ["New name", "Newer name"]}
        assert by_partner[changed.pk].action == AuditEntry.Action.UPDATE
        assert by_partner[created.pk].action == AuditEntry.Action.CREATE
        assert by_partner[created.pk].changes["name"] == ["None", "Brand new"]
        assert by_partner[created.pk].additional_data == {"operation": "import"}

    def test_an_api_import_records_the_token_user(self, manager_client, manager):
        # when
        response = manager_client.post(
            "/api/partners/import/",
            {"file": upload(csv_bytes([partner_row(external_id="P-0009")]))},
            format="multipart",
        )
        # then
        assert response.status_code == 201
        [entry] = AuditEntry.objects.filter(content_type__model="partner")
        assert entry.object_repr == "Acme Cloud"
        assert (entry.actor, entry.system_actor) == (manager, "")

    def test_a_contacts_import_records_the_changed_contacts(self, tmp_path):
        # given
        partner = PartnerFactory(external_id="P-0001", name="Acme")
        path = tmp_path / "contacts.csv"
        path.write_bytes(csv_bytes([contact_row(role="sales")]))
        call_command("import_contacts", str(path), stdout=io.StringIO())
        path.write_bytes(csv_bytes([contact_row(role="executive")]))
        AuditEntry.objects.all().delete()
        # when
        call_command("import_contacts", str(path), stdout=io.StringIO())
        # then
        [entry] = AuditEntry.objects.all()
        assert entry.object_repr == "Ada Lovelace <ada@example.com>"
        assert entry.system_actor == "import_contacts command"
        assert entry.changes == {"role": ["sales", "executive"]}
        assert partner.contacts.get().pk == entry.object_id

    def test_a_failed_import_writes_no_entry(self, tmp_path):
        AuditEntry.objects.all().delete()
        path = tmp_path / "partners.csv"
        path.write_bytes(csv_bytes([partner_row(tier="diamond")]))
        with pytest.raises(Exception, match="nothing was imported"):
            call_command("import_partners", str(path), stdout=io.StringIO(), stderr=io.StringIO())
        assert not AuditEntry.objects.exists()

    def test_the_scheduled_tier_evaluation_records_its_job_name(self):
        # given a partner that qualifies for gold
        partner = PartnerFactory(
            tier=tier("silver"), revenue_12m=Decimal("1000000"), deals_won_12m=20
        )
        PartnerCertificationFactory.create_batch(2, partner=partner)
        AuditEntry.objects.all().delete()
        # when the task runs (eagerly, through Celery's task machinery)
        tiers_evaluate_task.delay()
        # then
        [entry] = history(Partner, partner.pk)
        assert entry.actor is None
        assert entry.system_actor == "tiers evaluate"
        assert entry.changes == {"tier": ["Silver", "Gold"]}
        assert entry.additional_data == {"operation": "tier evaluation"}

    def test_the_performance_roll_up_task_records_changed_figures_only(self):
        # given one partner whose records change its figures, one already up to date
        moving = PartnerFactory(revenue_12m=Decimal("5"), deals_won_12m=0)
        PerformanceRecordFactory(partner=moving, revenue=Decimal("100"), deals_won=2)
        steady = PartnerFactory()
        PerformanceRecordFactory(partner=steady, revenue=Decimal("7"), deals_won=1)
        services.partners_rollup_performance(partner_ids=[steady.pk])
        moving.refresh_from_db()
        AuditEntry.objects.all().delete()
        Partner.objects.filter(pk=moving.pk).update(revenue_12m=Decimal("5"), deals_won_12m=0)
        # when
        partners_rollup_performance_task.delay()
        # then
        [entry] = AuditEntry.objects.all()
        assert entry.object_id == moving.pk
        assert entry.system_actor == "partners rollup performance"
        assert entry.changes == {"revenue_12m": ["5.00", "100.00"], "deals_won_12m": ["0", "2"]}

    def test_a_job_run_inside_a_users_context_keeps_the_user_and_names_the_job(self, manager):
        partner = PartnerFactory(name="Before")
        AuditEntry.objects.all().delete()
        with audit_actor(user=manager), audit_actor(system="nightly clean-up"):
            services.partner_update(partner=partner, data={"name": "After"})
        [entry] = history(Partner, partner.pk)
        assert (entry.actor, entry.system_actor) == (manager, "nightly clean-up")
        assert entry.actor_label == "manager (system: nightly clean-up)"

    def test_a_segment_rule_change_is_recorded_and_its_bookkeeping_is_not(
        self, manager_client, manager
    ):
        # given
        segment = SegmentFactory(rule={"all": []})
        AuditEntry.objects.all().delete()
        rule = {"all": [{"field": "region", "op": "eq", "value": "emea"}]}
        # when (the evaluation that follows runs eagerly and updates counters)
        response = manager_client.patch(
            f"/api/segments/{segment.id}/", {"rule": rule}, format="json"
        )
        # then
        assert response.status_code == 200
        [entry] = history(Segment, segment.pk)
        assert entry.actor == manager
        assert set(entry.changes) == {"rule"}


class TestHistoryViews:
    def test_the_partner_history_fragment_shows_who_when_and_what(self, staff_client, manager):
        # given
        partner = PartnerFactory(name="Before")
        with audit_actor(user=manager):
            services.partner_update(partner=partner, data={"name": "After"})
        with audit_actor(system="import_partners command"):
            services.partner_update(partner=partner, data={"employee_count": 77})
        # when
        response = staff_client.get(reverse("partners:history", args=[partner.pk]))
        # then
        assert response.status_code == 200
        content = response.content.decode()
        assert "manager" in content and "system: import_partners command" in content
        assert "Before" in content and "After" in content and "77" in content
        assert "Employee count" in content

    def test_the_partner_page_loads_the_history_card(self, staff_client):
        partner = PartnerFactory()
        response = staff_client.get(reverse("partners:detail", args=[partner.pk]))
        assert reverse("partners:history", args=[partner.pk]) in response.content.decode()

    def test_the_segment_page_has_a_history_tab(self, staff_client, manager):
        segment = SegmentFactory(name="Before")
        with audit_actor(user=manager):
            segment.name = "After"
            segment.save()
        response = staff_client.get(reverse("segments:detail", args=[segment.pk]) + "?tab=history")
        assert response.status_code == 200
        content = response.content.decode()
        assert "History" in content and "Before" in content and "After" in content

    @pytest.mark.parametrize("url_name", ["partners:history", "segments:detail"])
    def test_history_is_refused_to_partner_users_and_anonymous(
        self, client, partner_user, url_name
    ):
        target = PartnerFactory() if url_name == "partners:history" else SegmentFactory()
        url = reverse(url_name, args=[target.pk]) + "?tab=history"
        assert client.get(url).status_code == 302
        client.force_login(partner_user)
        assert client.get(url).status_code == 403

    def test_the_history_list_takes_constant_queries(self, staff_client, manager, tmp_path):
        partner = PartnerFactory()

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                response = staff_client.get(reverse("partners:history", args=[partner.pk]))
            assert response.status_code == 200
            return len(captured)

        with audit_actor(user=manager):
            services.partner_update(partner=partner, data={"employee_count": 1})
        few = queries()
        for count in range(2, 14):
            with audit_actor(user=manager if count % 2 else None, system="job"):
                services.partner_update(partner=partner, data={"employee_count": count})
        assert queries() == few


class TestAuditedModels:
    def test_a_campaign_pause_is_recorded_with_the_status_change(self, manager):
        # given
        campaign = CampaignFactory(status=CampaignStatus.SCHEDULED)
        AuditEntry.objects.all().delete()
        # when
        with audit_actor(user=manager):
            campaign_pause(campaign=campaign)
        # then
        [entry] = history(Campaign, campaign.pk)
        assert entry.actor == manager
        assert entry.changes == {"status": ["scheduled", "paused"]}

    def test_content_gating_by_segment_is_recorded(self, manager):
        # given
        item = ContentItemFactory(title="Playbook")
        segment = SegmentFactory(name="EMEA VARs")
        AuditEntry.objects.all().delete()
        # when
        with audit_actor(user=manager):
            item.segments.set([segment])
        # then
        [entry] = history(ContentItem, item.pk)
        assert entry.changes["segments"]["objects"] == ["EMEA VARs"]

    def test_a_segment_evaluation_writes_no_entry_for_its_bookkeeping(self):
        # given
        PartnerFactory.create_batch(2)
        segment = SegmentFactory(rule={"all": []})
        AuditEntry.objects.all().delete()
        # when
        segment_evaluate(segment_id=segment.pk)
        # then member_count and last_evaluated_at changed, yet nothing is recorded
        segment.refresh_from_db()
        assert segment.member_count == 2
        assert not AuditEntry.objects.exists()
