"""The channel manager's deal pages (staff only): registrations, review queue, pipeline and
incentive rules."""
