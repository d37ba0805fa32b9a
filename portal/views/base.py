"""What every partner-portal page shares: the partner-user check and the company in context."""

from django.views.generic.base import ContextMixin

from partners.access import PartnerUserRequiredMixin


class PortalView(PartnerUserRequiredMixin, ContextMixin):
    """Base of every portal view: `self.contact` / `self.partner` are the signed-in partner
    user's; get rows only through partners.scoping.scoped(…, partner=self.partner)."""

    nav = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(contact=self.contact, partner=self.partner, nav=self.nav)
        return context
