"""Content, learning paths and enrolments arrive with the enablement issue."""
