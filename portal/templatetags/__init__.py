"""Template tags of the partner portal."""
