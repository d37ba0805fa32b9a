import datetime as dt

import factory
from django.utils import timezone

from communications.models import (
    Campaign,
    CampaignOccurrence,
    CampaignStatus,
    Channel,
    ContactPreference,
    Message,
    MessageStatus,
    ScheduleKind,
    Survey,
    SurveyResponse,
)
from tests.partners.factories import ContactFactory


class CampaignFactory(factory.django.DjangoModelFactory):
    """A draft e-mail campaign sent now; pass include_segments=[…] to give it an audience."""

    class Meta:
        model = Campaign
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Campaign {n}")
    subject_template = "News for {{ partner.name }}"
    body_template = "Hello {{ contact.first_name }},\nsee https://example.com/news"
    schedule_kind = ScheduleKind.NOW
    status = CampaignStatus.DRAFT

    @factory.post_generation
    def include_segments(self, create, extracted, **kwargs):
        if create and extracted:
            self.include_segments.set(extracted)

    @factory.post_generation
    def exclude_segments(self, create, extracted, **kwargs):
        if create and extracted:
            self.exclude_segments.set(extracted)


class OccurrenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CampaignOccurrence

    campaign = factory.SubFactory(CampaignFactory)
    key = factory.Sequence(lambda n: f"test-{n}")
    due_at = factory.LazyFunction(timezone.now)


class MessageFactory(factory.django.DjangoModelFactory):
    """A sent e-mail of a campaign's occurrence to a contact."""

    class Meta:
        model = Message

    occurrence = factory.SubFactory(OccurrenceFactory)
    campaign = factory.LazyAttribute(lambda message: message.occurrence.campaign)
    contact = factory.SubFactory(ContactFactory)
    partner = factory.LazyAttribute(lambda message: message.contact.partner)
    channel = Channel.EMAIL
    status = MessageStatus.SENT
    to_email = factory.LazyAttribute(lambda message: message.contact.email)
    subject = "Subject"
    body = "Body"
    created_at = factory.LazyFunction(timezone.now)
    sent_at = factory.LazyAttribute(
        lambda message: message.created_at if message.status == MessageStatus.SENT else None
    )


class ContactPreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactPreference

    contact = factory.SubFactory(ContactFactory)


class SurveyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Survey

    campaign = factory.SubFactory(CampaignFactory)


class SurveyResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyResponse

    survey = factory.SubFactory(SurveyFactory)
    contact = factory.SubFactory(ContactFactory)
    partner = factory.LazyAttribute(lambda response: response.contact.partner)
    score = 9
    answered_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(minutes=1))
