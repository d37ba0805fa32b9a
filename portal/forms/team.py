"""Forms of the team page: inviting a colleague, and the password reset that also reaches
invited colleagues who have not chosen a password yet."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm

from partners.models import ContactRole


class InviteForm(forms.Form):
    """A colleague to invite: partners.onboarding.contact_invite checks the rest."""

    first_name = forms.CharField(max_length=100, label="First name")
    last_name = forms.CharField(max_length=100, required=False, label="Last name")
    email = forms.EmailField(max_length=254, label="Work e-mail")
    role = forms.ChoiceField(choices=ContactRole.choices, label="Role")


class PortalPasswordResetForm(PasswordResetForm):
    """Django's reset form, also for an active login whose password was never set (an
    invitation or welcome link that expired): the reset link is how they set one."""

    def get_users(self, email):
        user_model = get_user_model()
        email_field = user_model.get_email_field_name()
        users = user_model._default_manager.filter(
            **{f"{email_field}__iexact": email, "is_active": True}
        )
        return (user for user in users if getattr(user, email_field, "").lower() == email.lower())
