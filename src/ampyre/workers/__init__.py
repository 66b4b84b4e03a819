"""Background jobs of a running Ampyre process."""
