"""Repositories: the storage ports of ``ampyre.services.ports`` over one ``AsyncConnection``.

Each converts rows to and from domain dataclasses with SQLAlchemy Core and never commits;
the unit of work (:mod:`ampyre.db.uow`) owns the transaction.
"""
