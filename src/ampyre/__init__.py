"""Ampyre: charge point management and e-mobility billing."""
