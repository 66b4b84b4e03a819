"""The sandbox's HTML pages: card entry, the 3-D Secure challenge, the end of a checkout.

Plain server-rendered HTML with inline styles (no scripts, no external assets), every page
clearly labelled as a sandbox in test mode. Everything shown that came from a request or
the storage is escaped with :func:`html.escape`.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape

from ampyre.domain.money import minor_units
from ampyre.payments.sandbox.cards import CHALLENGE_CODE, TEST_CARDS
from ampyre.payments.sandbox.checkout import Checkout

BANNER = "SANDBOX — TEST MODE, no real money"

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#f4f4f6;color:#1d1d1f}
.banner{background:#b00020;color:#fff;font-weight:700;text-align:center;padding:.6em;
letter-spacing:.05em}
main{max-width:34em;margin:2em auto;background:#fff;padding:1.5em 2em;border-radius:8px;
box-shadow:0 1px 4px #0002}
label{display:block;margin:.8em 0 .2em;font-weight:600}
input{font-size:1.1em;padding:.4em;width:100%;box-sizing:border-box}
.row{display:flex;gap:1em}.row>div{flex:1}
button{font-size:1.05em;padding:.6em 1.2em;margin:1em .5em 0 0;cursor:pointer}
.error{background:#fde7ea;color:#8a0016;padding:.6em;border-radius:4px}
table{border-collapse:collapse;margin-top:1em;font-size:.9em;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.3em;text-align:left}
code{font-family:ui-monospace,monospace}
.amount{font-size:1.6em;font-weight:700}
"""


def _page(title: str, content: str) -> str:
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(title)} · {escape(BANNER)}</title><style>{_STYLE}</style></head>"
        f'<body><div class="banner" id="sandbox-banner">{escape(BANNER)}</div>'
        f"<main><h1>{escape(title)}</h1>{content}</main></body></html>"
    )


def format_amount(amount: int, currency: str) -> str:
    """``4613, "EUR"`` → "46.13 EUR"."""
    return f"{Decimal(amount).scaleb(-minor_units(currency))} {currency}"


def _summary(checkout: Checkout) -> str:
    view = checkout.view
    if checkout.kind == "setup":
        return "<p>Save a card for later payments (charged when you are not present).</p>"
    description = view["description"] or "Payment"
    return (
        f"<p>{escape(description)}</p>"
        f'<p class="amount" id="amount">{escape(format_amount(view["amount"], view["currency"]))}'
        "</p>"
    )


def _error(message: str | None) -> str:
    return f'<p class="error" role="alert" id="error">{escape(message)}</p>' if message else ""


def cards_table() -> str:
    rows = "".join(
        f"<tr><td><code>{escape(card.spaced)}</code></td><td>{escape(card.brand)}</td>"
        f"<td>{escape(card.description)}</td></tr>"
        for card in TEST_CARDS
    )
    return (
        "<h2>Test cards</h2><p>Any future expiry date (MM/YY) and any 3-digit CVC.</p>"
        f"<table><tr><th>Number</th><th>Brand</th><th>Result</th></tr>{rows}</table>"
    )


def card_page(checkout: Checkout, *, action: str, expiry_hint: str, error: str | None) -> str:
    """The card form, posting ``number``, ``expiry`` and ``cvc`` to ``action``."""
    submit = "Save card" if checkout.kind == "setup" else "Pay"
    content = (
        f"{_summary(checkout)}{_error(error)}"
        f'<form method="post" action="{escape(action)}" autocomplete="off">'
        '<label for="card-number">Card number</label>'
        '<input id="card-number" name="number" inputmode="numeric" '
        'placeholder="4242 4242 4242 4242" required>'
        '<div class="row"><div><label for="card-expiry">Expiry (MM/YY)</label>'
        f'<input id="card-expiry" name="expiry" placeholder="{escape(expiry_hint)}" required>'
        '</div><div><label for="card-cvc">CVC</label>'
        '<input id="card-cvc" name="cvc" inputmode="numeric" placeholder="123" required>'
        "</div></div>"
        f'<button type="submit" id="pay">{escape(submit)}</button></form>'
        f"{cards_table()}"
    )
    return _page("Sandbox checkout", content)


def challenge_page(checkout: Checkout, *, action: str) -> str:
    """The issuer's 3-D Secure challenge: a one-time code, or cancel."""
    card = checkout.view["card"] or {}
    content = (
        f"{_summary(checkout)}"
        f"<p>Your bank asks you to confirm this with the one-time code sent to your phone "
        f"(card ending in <b>{escape(str(card.get('last4', '')))}</b>).</p>"
        f'<form method="post" action="{escape(action)}" autocomplete="off">'
        '<label for="challenge-code">One-time code</label>'
        '<input id="challenge-code" name="code" inputmode="numeric" autofocus>'
        '<button type="submit" name="action" value="confirm" id="challenge-submit">Confirm'
        "</button>"
        '<button type="submit" name="action" value="cancel" id="challenge-cancel" '
        "formnovalidate>Cancel</button></form>"
        f"<p><small>Test mode: the code <code>{escape(CHALLENGE_CODE)}</code> passes, any "
        "other code fails.</small></p>"
    )
    return _page("3-D Secure (sandbox bank)", content)


_OUTCOMES = {
    "authorized": "authorised",
    "captured": "paid",
    "voided": "cancelled",
    "expired": "expired: it was not completed in time",
    "declined": "declined",
    "succeeded": "done: the card is saved",
    "failed": "not done: the card was not saved",
}


def finished_page(checkout: Checkout) -> str:
    """A checkout that is over (opened again): its outcome and the way back."""
    view = checkout.view
    outcome = f"This {checkout.kind} was {_OUTCOMES.get(checkout.status, checkout.status)}."
    if view.get("failure_message"):
        outcome += f" {view['failure_message']}"
    content = (
        f'{_summary(checkout)}<p id="outcome">{escape(outcome)}</p>'
        f'<p><a href="{escape(checkout.return_url())}">Back to the merchant</a></p>'
    )
    return _page("Sandbox checkout", content)


def message_page(title: str, message: str) -> str:
    return _page(title, f"<p>{escape(message)}</p>")


def index_page() -> str:
    content = (
        "<p>Ampyre's built-in payment provider for demos and tests. It behaves like a real "
        "provider's test mode: cards are never charged and only the test numbers below are "
        "accepted.</p>"
        f"{cards_table()}"
    )
    return _page("Sandbox payment provider", content)
