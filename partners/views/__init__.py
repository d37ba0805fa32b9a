"""The channel manager's partner pages, one module per screen."""
