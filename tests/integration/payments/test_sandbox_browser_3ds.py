"""A driver pays in a real browser: Debian's Chromium, driven by Playwright, opens the
sandbox's checkout page, enters the 3-D Secure test card, answers the challenge and lands
back on the merchant's return page (``make browser`` installs Chromium)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright
from sandbox_testkit import (  # noqa: F401 - pytest finds the *_fixture functions through these imports
    EUR_50,
    Sandbox,
    sandbox_clock_fixture,
    sandbox_factory_fixture,
    sandbox_fixture,
    sandbox_receiver_fixture,
)

from ampyre.domain.payments import PaymentState

CHROMIUM = os.environ.get("AMPYRE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def chromium_path() -> str:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run `make browser`")
    return CHROMIUM


@pytest.fixture
async def browser(chromium_path: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        await chromium.close()


async def _pay_with_3ds_card(sandbox: Sandbox, browser: Browser, code: str) -> tuple[Page, str]:
    """Open a new payment's action_url, pay with the 3-D Secure card, answer ``code``; the
    page after the redirect and the payment's reference."""
    payment = await sandbox.provider.authorise(
        EUR_50,
        provider_customer=None,
        method=None,
        return_url=sandbox.receiver.return_url,
        description="Charging session at Plac Defilad 1",
        idempotency_key="authorise:browser",
        metadata={},
    )
    assert payment.action_url is not None
    page = await browser.new_page()
    await page.goto(payment.action_url)
    assert await page.inner_text("#sandbox-banner") == "SANDBOX — TEST MODE, no real money"
    assert await page.inner_text("#amount") == "50.00 EUR"
    await page.fill("#card-number", "4000 0027 6000 3184")
    await page.fill("#card-expiry", "12/34")
    await page.fill("#card-cvc", "123")
    await page.click("#pay")

    await page.wait_for_selector("#challenge-code")
    assert "3-D Secure" in await page.title()
    assert "3184" in await page.inner_text("main")
    await page.fill("#challenge-code", code)
    async with page.expect_navigation(url=f"{sandbox.receiver.url}/return**"):
        await page.click("#challenge-submit")
    return page, payment.reference


async def test_3ds_challenge_passed_in_a_real_browser(sandbox: Sandbox, browser: Browser) -> None:
    page, reference = await _pay_with_3ds_card(sandbox, browser, "1234")
    assert page.url.startswith(sandbox.receiver.return_url)
    assert "redirect_status=succeeded" in page.url
    assert f"sandbox_payment={reference}" in page.url
    assert await page.inner_text("#merchant") == "Back at the merchant"

    payment = await sandbox.provider.get_payment(reference)
    assert payment.state is PaymentState.AUTHORIZED
    assert payment.authorized == EUR_50
    assert payment.card is not None
    assert payment.card.last4 == "3184"


async def test_3ds_challenge_failed_in_a_real_browser(sandbox: Sandbox, browser: Browser) -> None:
    page, reference = await _pay_with_3ds_card(sandbox, browser, "0000")
    assert page.url.startswith(sandbox.receiver.return_url)
    assert "redirect_status=failed" in page.url

    payment = await sandbox.provider.get_payment(reference)
    assert payment.state is PaymentState.DECLINED
    assert payment.failure_code == "authentication_failed"
    assert payment.captured.value == 0
