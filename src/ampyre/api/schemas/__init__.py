"""Request and response models of the REST API, and their conversion from and to the domain.

Conventions: times are ISO 8601 in UTC ("2025-03-01T12:00:00Z"); energy is an integer number
of Wh; power an integer number of W; coordinates are decimal strings; password hashes and
token hashes never leave the server.
"""
