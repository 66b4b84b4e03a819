"""Use cases of Ampyre. ``check_*`` validates and authorises; ``do_*`` makes one change in one
transaction. Services depend only on the domain and on the ports in :mod:`ampyre.services.ports`.
"""
