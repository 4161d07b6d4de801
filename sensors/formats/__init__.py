"""File formats: the canonical recording and vendor-app CSV exports."""
