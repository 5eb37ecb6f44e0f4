"""The petition bureau's dashboard page (static, served by the service)."""
