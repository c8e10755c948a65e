"""fingerprint stage."""
