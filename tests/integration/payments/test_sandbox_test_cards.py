"""Every sandbox test card on the checkout pages (filled in over HTTP; the real browser is in
test_sandbox_browser_3ds.py), the card form's refusals, escaping, and that no card number is
ever kept."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sandbox_testkit import (  # noqa: F401 - pytest finds the *_fixture functions through these imports
    EUR_50,
    Sandbox,
    answer_challenge,
    sandbox_clock_fixture,
    sandbox_factory_fixture,
    sandbox_fixture,
    sandbox_receiver_fixture,
    submit_card,
)

from ampyre.domain.payments import PaymentState
from ampyre.payments.sandbox.cards import TEST_CARDS
from ampyre.services.payment_port import ProviderPayment

S = PaymentState


async def _new_payment(
    sandbox: Sandbox, description: str = "Charging session s1"
) -> ProviderPayment:
    payment = await sandbox.provider.authorise(
        EUR_50,
        provider_customer=None,
        method=None,
        return_url=sandbox.receiver.return_url,
        description=description,
        idempotency_key="authorise:s1",
        metadata={},
    )
    assert payment.action_url is not None
    return payment


def _back_at_merchant(response: httpx.Response, sandbox: Sandbox) -> dict[str, list[str]]:
    """The redirect goes to the return_url with the outcome added; its query."""
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith(f"{sandbox.receiver.url}/return?order=42&")
    return parse_qs(urlsplit(location).query)


@pytest.mark.parametrize(
    ("number", "state", "failure_code"),
    [
        ("4242 4242 4242 4242", S.AUTHORIZED, None),
        ("5555-5555-5555-4444", S.AUTHORIZED, None),
        ("4000 0000 0000 0002", S.DECLINED, "card_declined"),
        ("4000 0000 0000 9995", S.DECLINED, "insufficient_funds"),
        ("4000 0000 0000 0069", S.DECLINED, "expired_card"),
        ("4000 0000 0000 0341", S.DECLINED, "card_declined"),
    ],
)
async def test_cards_without_a_challenge(
    sandbox: Sandbox, number: str, state: PaymentState, failure_code: str | None
) -> None:
    payment = await _new_payment(sandbox)
    assert payment.action_url is not None
    query = _back_at_merchant(await submit_card(payment.action_url, number), sandbox)
    assert query["sandbox_payment"] == [payment.reference]
    assert query["redirect_status"] == ["succeeded" if state is S.AUTHORIZED else "failed"]

    after = await sandbox.provider.get_payment(payment.reference)
    assert after.state is state
    assert after.failure_code == failure_code
    assert after.card is not None
    assert after.card.last4 == number[-4:]
    assert (after.card.exp_month, after.card.exp_year) == (12, 2034)
    assert after.authorized.value == (5000 if state is S.AUTHORIZED else 0)
    if failure_code:
        assert after.failure_message
    await sandbox.app.psp.webhooks_idle()
    event_type = "payment.authorized" if state is S.AUTHORIZED else "payment.declined"
    assert [e["data"]["object"]["id"] for e in sandbox.receiver.of_type(event_type)] == [
        payment.reference
    ]


@pytest.mark.parametrize(
    ("number", "code", "cancel", "state"),
    [
        ("4000 0027 6000 3184", "1234", False, S.AUTHORIZED),
        ("4000 0027 6000 3184", "9999", False, S.DECLINED),
        ("4000 0027 6000 3184", "1234", True, S.DECLINED),
        ("4000 0000 0000 3220", "1234", False, S.AUTHORIZED),
        ("4000 0000 0000 3220", "4321", False, S.DECLINED),
        ("4000 0084 0000 1629", "1234", False, S.DECLINED),
    ],
)
async def test_cards_with_a_3ds_challenge(
    sandbox: Sandbox, number: str, code: str, cancel: bool, state: PaymentState
) -> None:
    payment = await _new_payment(sandbox)
    assert payment.action_url is not None
    to_challenge = await submit_card(payment.action_url, number)
    assert to_challenge.status_code == 303
    assert to_challenge.headers["location"] == urlsplit(payment.action_url).path
    waiting = await sandbox.provider.get_payment(payment.reference)
    assert waiting.state is S.REQUIRES_ACTION
    assert waiting.action_url == payment.action_url
    async with httpx.AsyncClient() as http:
        page = await http.get(payment.action_url)
    assert 'id="challenge-code"' in page.text
    assert "ending in <b>" + number[-4:] in page.text

    _back_at_merchant(await answer_challenge(payment.action_url, code, cancel=cancel), sandbox)
    after = await sandbox.provider.get_payment(payment.reference)
    assert after.state is state
    if state is S.DECLINED:
        assert after.failure_code == "authentication_failed"
        assert ("cancelled" in (after.failure_message or "")) is cancel
    # The challenge cannot be answered twice: the page now shows the outcome.
    again = await answer_challenge(payment.action_url, "1234")
    assert again.status_code == 200
    outcome = "authorised" if state is S.AUTHORIZED else "declined"
    assert f"This payment was {outcome}" in again.text


def test_the_documented_cards_are_the_tested_ones() -> None:
    documented = (Path(__file__).parents[3] / "docs" / "payments-sandbox.md").read_text()
    for card in TEST_CARDS:
        assert card.spaced in documented


@pytest.mark.parametrize(
    ("number", "expiry", "cvc", "message"),
    [
        ("4242 4242 4242 4241", "12/34", "123", "not valid"),
        ("4111 1111 1111 1111", "12/34", "123", "test card numbers"),
        ("4242 4242 4242 4242", "13/34", "123", "month"),
        ("4242 4242 4242 4242", "1234", "123", "MM/YY"),
        ("4242 4242 4242 4242", "02/26", "123", "in the past"),
        ("4242 4242 4242 4242", "12/34", "12a", "CVC"),
    ],
)
async def test_the_card_form_refuses_what_is_wrong(
    sandbox: Sandbox, number: str, expiry: str, cvc: str, message: str
) -> None:
    payment = await _new_payment(sandbox)
    assert payment.action_url is not None
    response = await submit_card(payment.action_url, number, expiry, cvc)
    assert response.status_code == 400
    assert message in response.text
    assert 'id="card-number"' in response.text
    assert (await sandbox.provider.get_payment(payment.reference)).state is S.REQUIRES_ACTION


async def test_pages_are_labelled_and_escape_what_they_show(sandbox: Sandbox) -> None:
    payment = await _new_payment(sandbox, description='<script>alert("x")</script> & co')
    assert payment.action_url is not None
    async with httpx.AsyncClient() as http:
        page = await http.get(payment.action_url)
        index = await http.get(f"{sandbox.url}/")
        missing = await http.get(f"{sandbox.url}/checkout/nope")
    assert page.status_code == 200
    assert "SANDBOX — TEST MODE, no real money" in page.text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in page.text
    assert "<script>" not in page.text
    assert "50.00 EUR" in page.text
    assert "4000 0027 6000 3184" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "SANDBOX — TEST MODE" in index.text
    assert missing.status_code == 404


def _stored_bytes(folder: Path) -> bytes:
    """Everything the sandbox wrote to its SQLite files."""
    return b"".join(path.read_bytes() for path in folder.glob("sandbox-psp.db*"))


async def test_card_numbers_are_never_kept(sandbox: Sandbox, tmp_path: Path) -> None:
    payment = await _new_payment(sandbox)
    assert payment.action_url is not None
    await submit_card(payment.action_url, "4000 0027 6000 3184")
    await answer_challenge(payment.action_url, "1234")
    after = await sandbox.provider.get_payment(payment.reference)
    assert "4000002760003184" not in str(after.raw)
    await sandbox.served.stop()
    stored = _stored_bytes(tmp_path)
    assert b"3184" in stored  # the last four digits are kept ...
    for card in TEST_CARDS:  # ... never a number
        assert card.number.encode() not in stored
