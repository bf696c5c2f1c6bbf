"""Dashboard pages, one module per panel group, each exporting ROUTES."""
