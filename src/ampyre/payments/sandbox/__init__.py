"""The built-in sandbox payment provider: Ampyre's embedded default PSP, in test mode.

It is a small payment service provider of its own — served in Ampyre's process at
``/sandbox-psp`` with its own storage, reached over HTTP like any external provider — so the
demo and the tests need no outside service. Everything it shows is labelled
"SANDBOX — TEST MODE, no real money"; it accepts only test cards (:mod:`.cards`) and its
:data:`SPEC` is ``test_only``, so a production configuration refuses it.

- :mod:`.server` — the PSP: JSON API (customers, setups, manual-capture payments,
  merchant-initiated charges, refunds, idempotency keys) and the checkout pages (card entry,
  3-D Secure challenge); :func:`build_sandbox_app` builds it.
- :mod:`.psp`, :mod:`.operations`, :mod:`.transitions`, :mod:`.checkout` — its state and
  rules over its own tables (:mod:`.tables`); authorisations expire (:class:`SandboxConfig`
  ``authorization_ttl``, default 7 days). :mod:`.cards` lists the test cards.
- :mod:`.delivery`, :mod:`.webhooks` — signed webhooks POSTed in the background with
  retries, optionally duplicated and out of order (:class:`WebhookChaos`).
- :mod:`.adapter` — :class:`SandboxProvider`, the ``PaymentProvider`` Ampyre uses, and
  :data:`SPEC`; :mod:`.mapping` turns sandbox objects into the port's records.

See ``docs/payments-sandbox.md``.
"""

from ampyre.payments.sandbox.adapter import SPEC, SandboxProvider, sandbox_spec
from ampyre.payments.sandbox.config import SandboxAccount, SandboxConfig
from ampyre.payments.sandbox.delivery import DeliveryPolicy, WebhookChaos
from ampyre.payments.sandbox.psp import SandboxPsp
from ampyre.payments.sandbox.server import SandboxApp, build_sandbox_app

__all__ = [
    "SPEC",
    "DeliveryPolicy",
    "SandboxAccount",
    "SandboxApp",
    "SandboxConfig",
    "SandboxProvider",
    "SandboxPsp",
    "WebhookChaos",
    "build_sandbox_app",
    "sandbox_spec",
]
