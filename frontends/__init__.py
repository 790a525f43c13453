"""Framework frontends: one folder per source format."""
