"""The REST API (mounted at ``/api/v1``): routers, request/response schemas, bearer-token auth.

Routers only translate HTTP to use cases in :mod:`ampyre.services`; access rules, validation
and transactions live there. Build the application with :func:`ampyre.api.app.build_api`.
"""
