"""Panels on the manager's partner page that other apps contribute.

`partners` knows no app above it, yet its partner page shows segments, enablement progress and
messages. Each upper app registers a panel in its AppConfig.ready(): a title and the name of a
staff URL that takes the partner's pk and returns an HTML fragment. The page loads each panel
with htmx, so a panel's queries are its own and the page stays fast.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class PartnerPanel:
    key: str
    title: str
    url_name: str
    order: int = 100


_panels: dict[str, PartnerPanel] = {}


def partner_panel_register(*, key: str, title: str, url_name: str, order: int = 100) -> None:
    """Register (or replace) a panel; safe to call twice (ready() may run more than once)."""
    _panels[key] = PartnerPanel(key=key, title=title, url_name=url_name, order=order)


def partner_panels() -> list[PartnerPanel]:
    """The registered panels in display order."""
    return sorted(_panels.values(), key=lambda panel: (panel.order, panel.key))
