"""Partner portal pages, under /portal/. Each area keeps its routes in its own block."""

from django.urls import path

from portal.views import apply as apply_views
from portal.views import company as company_views
from portal.views import deals as deal_views
from portal.views import home
from portal.views import inbox as inbox_views
from portal.views import learning as learning_views
from portal.views import team as team_views

app_name = "portal"

urlpatterns = [
    path("", home.HomeView.as_view(), name="home"),
    # learning (content, paths, quizzes, certifications)
    path("learning/", learning_views.LearningView.as_view(), name="learning"),
    path(
        "learning/content/<int:pk>/",
        learning_views.ContentDetailView.as_view(),
        name="learning-content",
    ),
    path("learning/paths/<int:pk>/", learning_views.PathDetailView.as_view(), name="learning-path"),
    path(
        "learning/paths/<int:pk>/enrol/",
        learning_views.PathEnrolView.as_view(),
        name="learning-path-enrol",
    ),
    path(
        "learning/steps/<int:pk>/complete/",
        learning_views.StepCompleteView.as_view(),
        name="learning-step-complete",
    ),
    path(
        "learning/steps/<int:pk>/quiz/",
        learning_views.StepQuizView.as_view(),
        name="learning-step-quiz",
    ),
    # inbox (messages, surveys)
    path("inbox/", inbox_views.InboxView.as_view(), name="inbox"),
    path("inbox/<int:pk>/", inbox_views.MessageDetailView.as_view(), name="inbox-message"),
    path("inbox/<int:pk>/survey/", inbox_views.SurveyAnswerView.as_view(), name="inbox-survey"),
    # company profile, contacts, preferences
    path("company/", company_views.CompanyView.as_view(), name="company"),
    path("company/edit/", company_views.CompanyEditView.as_view(), name="company-edit"),
    path("company/contacts/", company_views.ContactListView.as_view(), name="company-contacts"),
    path(
        "company/contacts/new/",
        company_views.ContactCreateView.as_view(),
        name="company-contact-new",
    ),
    path(
        "company/contacts/<int:pk>/edit/",
        company_views.ContactEditView.as_view(),
        name="company-contact-edit",
    ),
    path(
        "company/contacts/<int:pk>/delete/",
        company_views.ContactDeleteView.as_view(),
        name="company-contact-delete",
    ),
    path(
        "company/contacts/<int:pk>/preferences/",
        company_views.ContactPreferencesView.as_view(),
        name="company-contact-preferences",
    ),
    # deals (the company's registrations, registering one, its actions and attachment)
    path("deals/", deal_views.DealListView.as_view(), name="deals"),
    path("deals/new/", deal_views.DealCreateView.as_view(), name="deal_new"),
    path("deals/<int:pk>/", deal_views.DealDetailView.as_view(), name="deal_detail"),
    path("deals/<int:pk>/edit/", deal_views.DealEditView.as_view(), name="deal_edit"),
    path(
        "deals/<int:pk>/attachment/",
        deal_views.DealAttachmentView.as_view(),
        name="deal_attachment",
    ),
    path(
        "deals/<int:pk>/submit/",
        deal_views.DealActionView.as_view(action_slug="submit"),
        name="deal_submit",
    ),
    path(
        "deals/<int:pk>/withdraw/",
        deal_views.DealActionView.as_view(action_slug="withdraw"),
        name="deal_withdraw",
    ),
    path(
        "deals/<int:pk>/extension/",
        deal_views.DealActionView.as_view(action_slug="extension"),
        name="deal_extension",
    ),
    path(
        "deals/<int:pk>/won/",
        deal_views.DealActionView.as_view(action_slug="won"),
        name="deal_won",
    ),
    path(
        "deals/<int:pk>/lost/",
        deal_views.DealActionView.as_view(action_slug="lost"),
        name="deal_lost",
    ),
    # team (invite, deactivate)
    path("team/", team_views.TeamView.as_view(), name="team"),
    path("team/<int:pk>/deactivate/", team_views.DeactivateView.as_view(), name="team-deactivate"),
    path("team/<int:pk>/reactivate/", team_views.ReactivateView.as_view(), name="team-reactivate"),
    path("team/<int:pk>/invite/", team_views.GrantAccessView.as_view(), name="team-grant"),
    path("team/<int:pk>/resend/", team_views.ResendInviteView.as_view(), name="team-resend"),
    # partner application: the public form and the managers' review (staff only)
    path("apply/", apply_views.ApplyView.as_view(), name="apply"),
    path("apply/thanks/", apply_views.ApplyThanksView.as_view(), name="apply-thanks"),
    path("applications/", apply_views.ApplicationListView.as_view(), name="applications"),
    path(
        "applications/bulk/",
        apply_views.ApplicationBulkView.as_view(),
        name="applications-bulk",
    ),
    path(
        "applications/<int:pk>/approve/",
        apply_views.ApproveView.as_view(),
        name="application-approve",
    ),
    path(
        "applications/<int:pk>/reject/",
        apply_views.RejectView.as_view(),
        name="application-reject",
    ),
]
