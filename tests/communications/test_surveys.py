import pytest

from communications import services
from communications.models import MessageStatus, SuppressionReason, SurveyResponse
from communications.selectors import survey_summary
from communications.services import CampaignValidationError
from tests.communications.factories import (
    CampaignFactory,
    MessageFactory,
    OccurrenceFactory,
    SurveyFactory,
    SurveyResponseFactory,
)
from tests.partners.factories import ContactFactory, PartnerFactory
from tests.segments.factories import MembershipFactory, SegmentFactory

pytestmark = pytest.mark.django_db

INBOX_URL = "/api/inbox/"


@pytest.fixture
def survey():
    return SurveyFactory()


def message_of(survey, contact=None, **fields):
    occurrence = OccurrenceFactory(campaign=survey.campaign)
    if contact is not None:
        fields["contact"] = contact
    return MessageFactory(occurrence=occurrence, channel="portal", **fields)


class TestSurveyAnswer:
    def test_an_answer_from_a_message_is_stored_per_contact_and_partner(self, survey):
        message = message_of(survey)

        answer = services.survey_answer(
            message_or_contact=message, survey=survey, score=9, comment=" Great program "
        )

        assert (answer.contact, answer.partner, answer.message) == (
            message.contact,
            message.partner,
            message,
        )
        assert (answer.score, answer.comment) == (9, "Great program")

    def test_answering_again_replaces_the_answer(self, survey):
        message = message_of(survey)

        services.survey_answer(message_or_contact=message, survey=survey, score=3)
        services.survey_answer(message_or_contact=message, survey=survey, score=8, comment="Better")

        answer = SurveyResponse.objects.get()
        assert (answer.score, answer.comment) == (8, "Better")

    @pytest.mark.parametrize("score", [-1, 11, "7", 7.5, True, None])
    def test_a_score_outside_0_to_10_is_refused(self, survey, score):
        with pytest.raises(CampaignValidationError) as raised:
            services.survey_answer(
                message_or_contact=message_of(survey), survey=survey, score=score
            )

        assert set(raised.value.errors) == {"score"}
        assert not SurveyResponse.objects.exists()

    @pytest.mark.parametrize("score", [0, 10])
    def test_both_ends_of_the_scale_are_accepted(self, survey, score):
        answer = services.survey_answer(
            message_or_contact=message_of(survey), survey=survey, score=score
        )

        assert answer.score == score

    def test_a_message_of_another_campaign_or_not_delivered_cannot_answer(self, survey):
        other = MessageFactory()
        suppressed = message_of(
            survey,
            status=MessageStatus.SUPPRESSED,
            suppression_reason=SuppressionReason.OPTED_OUT,
        )

        for message in (other, suppressed):
            with pytest.raises(CampaignValidationError) as raised:
                services.survey_answer(message_or_contact=message, survey=survey, score=5)
            assert set(raised.value.errors) == {"survey"}
        assert not SurveyResponse.objects.exists()

    def test_an_answer_recorded_for_a_contact_links_their_delivered_message(self, survey):
        message = message_of(survey)

        answer = services.survey_answer(message_or_contact=message.contact, survey=survey, score=6)

        assert answer.message == message


class TestSurveySummary:
    def test_nps_count_and_average_overall_and_per_segment(self):
        # given: scores 10 9 8 7 in segment "a", 6 0 10 in segment "b"
        seg_a, seg_b = SegmentFactory(slug="a"), SegmentFactory(slug="b")
        survey = SurveyFactory(campaign=CampaignFactory(include_segments=[seg_a, seg_b]))
        for segment, scores in [(seg_a, [10, 9, 8, 7]), (seg_b, [6, 0, 10])]:
            for score in scores:
                partner = PartnerFactory()
                MembershipFactory(segment=segment, partner=partner)
                SurveyResponseFactory(
                    survey=survey, contact=ContactFactory(partner=partner), score=score
                )
        SurveyResponseFactory(score=0)  # another survey

        # when
        summary = survey_summary(survey=survey)

        # then: promoters 3, detractors 2 of 7 -> (3 - 2) / 7 = 14.3 %
        assert summary["count"] == 7
        assert (summary["promoters"], summary["passives"], summary["detractors"]) == (3, 2, 2)
        assert summary["nps"] == 14.3
        assert summary["average"] == 7.14
        by_segment = {row["segment"]: row for row in summary["by_segment"]}
        assert (by_segment["a"]["count"], by_segment["a"]["nps"]) == (4, 50.0)
        assert by_segment["a"]["average"] == 8.5
        assert (by_segment["b"]["count"], by_segment["b"]["nps"]) == (3, -33.3)

    def test_a_survey_without_answers_has_no_nps(self, survey):
        summary = survey_summary(survey=survey)

        assert (summary["count"], summary["nps"], summary["average"]) == (0, None, None)


class TestSurveyApi:
    def test_a_partner_user_answers_from_their_inbox_and_can_change_the_answer(
        self, partner_client, partner_user, survey
    ):
        message = message_of(survey, contact=partner_user.contact)
        url = f"{INBOX_URL}{message.pk}/survey/"

        first = partner_client.post(url, {"score": 4, "comment": "Meh"}, format="json")
        second = partner_client.post(url, {"score": 9}, format="json")
        listed = partner_client.get(INBOX_URL).json()["results"][0]

        assert first.status_code == 201, first.content
        assert second.status_code == 200
        assert SurveyResponse.objects.get().score == 9
        assert listed["survey"]["answer"]["score"] == 9

    def test_a_score_out_of_range_is_a_400_and_nothing_is_stored(
        self, partner_client, partner_user, survey
    ):
        message = message_of(survey, contact=partner_user.contact)

        response = partner_client.post(f"{INBOX_URL}{message.pk}/survey/", {"score": 11})

        assert response.status_code == 400
        assert "score" in response.json()
        assert not SurveyResponse.objects.exists()

    def test_a_message_without_survey_is_a_400_and_someone_elses_a_404(
        self, partner_client, partner_user, survey
    ):
        plain = MessageFactory(contact=partner_user.contact, channel="portal")
        strangers = message_of(survey)

        no_survey = partner_client.post(f"{INBOX_URL}{plain.pk}/survey/", {"score": 5})
        not_mine = partner_client.post(f"{INBOX_URL}{strangers.pk}/survey/", {"score": 5})

        assert no_survey.status_code == 400
        assert not_mine.status_code == 404
        assert not SurveyResponse.objects.exists()

    def test_managers_read_the_summary_and_partner_users_may_not(
        self, manager_client, partner_client, survey
    ):
        SurveyResponseFactory(survey=survey, score=10)
        url = f"/api/surveys/{survey.pk}/summary/"

        summary = manager_client.get(url)

        assert summary.status_code == 200
        assert (summary.json()["count"], summary.json()["nps"]) == (1, 100.0)
        assert partner_client.get(url).status_code == 403
