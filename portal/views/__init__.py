"""Partner-portal pages, one module per area; all of them build on PortalView."""
