"""Communications pages: `public` behind the signed links of an e-mail (no login) and
`campaigns` for channel managers."""

from communications.views.public import PreferencesView, UnsubscribeView, click, open_pixel

__all__ = ["PreferencesView", "UnsubscribeView", "click", "open_pixel"]
