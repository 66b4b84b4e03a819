"""Payment provider adapters: the built-in sandbox (test mode) and Stripe.

Each module offers a :class:`~ampyre.services.payment_port.ProviderSpec`; a new provider
(Adyen, PAYONE, PayPal...) is a new module here and one entry in the wiring, never a change
to the services.
"""
