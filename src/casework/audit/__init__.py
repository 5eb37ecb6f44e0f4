"""The audit trail over the API: case events and administrators' changes."""
