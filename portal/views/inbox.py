"""The partner user's inbox: their portal messages with read state, and the surveys they
carry. Messages are read through communications' inbox selector, scoped to the partner and
the contact (another contact's message, even of the same company, is a 404); reading and
answering go through communications' services."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView, View
from django.views.generic.base import TemplateResponseMixin

from communications import selectors, services
from communications.models import Message, Survey
from communications.templating import body_is_html
from partners.scoping import scoped, scoped_get_or_404
from portal.forms.inbox import SurveyAnswerForm
from portal.views.base import PortalView

INBOX_PAGE_SIZE = 20


def _survey_of(message: Message) -> Survey | None:
    try:
        return message.campaign.survey
    except Survey.DoesNotExist:
        return None


class InboxView(PortalView, TemplateView):
    """The contact's portal messages, unread first (bold), paginated; "?show=unread" lists
    only the unread ones. A constant number of queries per page."""

    template_name = "portal/inbox/index.html"
    nav = "inbox"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        unread_only = self.request.GET.get("show") == "unread"
        inbox = scoped(
            selectors.inbox_unread_first(contact=self.contact, unread_only=unread_only),
            partner=self.partner,
        )
        page = Paginator(inbox, INBOX_PAGE_SIZE).get_page(self.request.GET.get("page"))
        # Portal-only messages are rendered when the inbox first shows them (then stored).
        rows = [services.message_render_for_inbox(message=message) for message in page]
        surveys = {message.pk: _survey_of(message) for message in rows}
        answers = selectors.survey_answers_of(
            contact=self.contact, survey_ids={s.pk for s in surveys.values() if s}
        )
        for message in rows:
            survey = surveys[message.pk]
            message.survey = survey
            message.survey_answer = answers.get(survey.pk) if survey else None
        context.update(
            page_obj=page,
            inbox_messages=rows,
            unread_only=unread_only,
            unread_count=selectors.inbox_unread_count(contact=self.contact),
        )
        return context


class _MessageView(PortalView, TemplateResponseMixin, View):
    template_name = "portal/inbox/message.html"
    nav = "inbox"

    def get_message(self) -> Message:
        """The contact's own inbox message (another contact's, or partner's: 404)."""
        return scoped_get_or_404(
            selectors.inbox_for_contact(contact=self.contact),
            partner=self.partner,
            pk=self.kwargs["pk"],
        )

    def survey_form(self, survey: Survey, answer=None, data=None) -> SurveyAnswerForm:
        initial = {"score": answer.score, "comment": answer.comment} if answer else None
        return SurveyAnswerForm(
            data,
            initial=initial,
            question=survey.question,
            comment_prompt=survey.comment_prompt,
        )

    def page_context(self, message: Message, form: SurveyAnswerForm | None = None) -> dict:
        survey = _survey_of(message)
        answer = None
        if survey is not None:
            answer = selectors.survey_response_for(survey=survey, contact=self.contact)
            form = form or self.survey_form(survey, answer)
        return self.get_context_data(
            message=message,
            is_html=body_is_html(message.body),
            survey=survey,
            survey_answer=answer,
            survey_form=form,
        )


class MessageDetailView(_MessageView):
    """One message, rendered (HTML in a sandboxed frame, text escaped); opening it marks it
    read. A message that carries a survey shows its form, or the answer given."""

    def get(self, request, *args, **kwargs):
        message = services.message_mark_read(message=self.get_message(), contact=self.contact)
        message = services.message_render_for_inbox(message=message)
        return self.render_to_response(self.page_context(message))


class SurveyAnswerView(_MessageView):
    """POST: answer the survey the message carries (again: the service replaces the answer);
    invalid input shows the form with its errors (400)."""

    def post(self, request, *args, **kwargs):
        message = services.message_render_for_inbox(message=self.get_message())
        survey = _survey_of(message)
        if survey is None:
            raise Http404("This message carries no survey.")
        answer = selectors.survey_response_for(survey=survey, contact=self.contact)
        form = self.survey_form(survey, answer, data=request.POST)
        if form.is_valid():
            try:
                services.survey_answer(
                    message_or_contact=message,
                    survey=survey,
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data["comment"],
                )
            except services.CampaignValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(
                    request,
                    "Your answer was updated." if answer else "Thank you for your answer.",
                )
                return redirect(reverse("portal:inbox-message", args=[message.pk]) + "#survey")
        return self.render_to_response(self.page_context(message, form), status=400)
