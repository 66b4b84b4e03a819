"""Tariffs and rating: the pure rules that turn a tariff and a session's usage into money."""
