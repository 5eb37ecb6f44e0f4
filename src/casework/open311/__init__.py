"""Open311 GeoReport v2: civic reporting apps file and follow online applications."""
