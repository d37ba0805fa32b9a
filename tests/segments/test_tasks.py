import pytest

from partners import services as partner_services
from segments import services, tasks
from segments.models import EvaluationRun, EvaluationTrigger, Membership, Segment
from tests.celery_worker import running_worker, wait_until
from tests.partners.factories import PartnerFactory

EMEA = {"field": "region", "op": "eq", "value": "emea"}


def new_segment(slug="emea", rule=None) -> Segment:
    return Segment.objects.create(name=slug, slug=slug, objective="test", rule=rule or EMEA)


@pytest.mark.django_db
class TestThinTasks:
    def test_evaluate_task_runs_the_service(self):
        PartnerFactory(region="emea")
        segment = new_segment()
        result = tasks.segment_evaluate_task(segment.id, EvaluationTrigger.SCHEDULE)
        assert result["status"] == "succeeded"
        assert result["joined"] == 1

    def test_evaluate_task_for_a_deleted_segment_does_nothing(self):
        assert tasks.segment_evaluate_task(987654)["status"] == "deleted"

    def test_refresh_due_task_evaluates_due_segments(self):
        PartnerFactory(region="emea")
        segment = new_segment()
        assert tasks.segments_refresh_due_task() == 1
        run = EvaluationRun.objects.get(segment=segment)
        assert run.trigger == EvaluationTrigger.SCHEDULE
        assert Membership.objects.filter(segment=segment).count() == 1


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_partner_change_reaches_membership_through_a_real_worker(settings, tmp_path):
    # given: an evaluated segment and a partner outside it
    settings.PRM_SEGMENT_CHANGE_DELAY_SECONDS = 0.5
    segment = new_segment()
    services.segment_evaluate(segment_id=segment.id)
    partner = PartnerFactory(region="apac")
    with running_worker(tmp_path / "worker.log"):
        # when: the partner is edited (commit → signal → queue → worker)
        partner_services.partner_update(partner=partner, data={"region": "emea"})
        joined = wait_until(
            lambda: Membership.objects.filter(segment=segment, partner=partner).exists()
        )
        # then
        assert joined, (tmp_path / "worker.log").read_text()[-3000:]
        run = EvaluationRun.objects.get(segment=segment, trigger=EvaluationTrigger.CHANGE)
        assert (run.joined, run.partner_count) == (1, 1)
        # and when it changes back, it leaves again
        partner_services.partner_update(partner=partner, data={"region": "na"})
        left = wait_until(
            lambda: not Membership.objects.filter(segment=segment, partner=partner).exists()
        )
        assert left, (tmp_path / "worker.log").read_text()[-3000:]


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_new_segment_is_evaluated_by_a_real_worker(tmp_path):
    PartnerFactory.create_batch(3, region="emea")
    with running_worker(tmp_path / "worker.log"):
        segment = services.segment_create(
            data={"name": "EMEA", "objective": "test", "kind": "dynamic", "rule": EMEA}
        )
        evaluated = wait_until(lambda: Segment.objects.get(pk=segment.pk).member_count == 3)
        assert evaluated, (tmp_path / "worker.log").read_text()[-3000:]
