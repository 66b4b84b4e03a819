"""Pure codecs between domain objects and outside formats (OCPI JSON, display texts).

Depends on the domain only (and on format libraries such as Babel); the API, the CLI and
the roaming adapters use it, so a format is written once.
"""
