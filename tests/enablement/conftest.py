import pytest


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Uploads of each test go to a folder of its own."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
