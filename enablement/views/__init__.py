"""Enablement pages under /enablement/: the gated file download, and the channel manager's
screens for content, learning paths, certifications and the partner page's panel."""

from enablement.views.download import ContentDownloadView

__all__ = ["ContentDownloadView"]
