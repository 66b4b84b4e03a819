"""The sandbox's test cards: what each number does. Only these numbers are accepted.

==========================  ==========  =====================================================
number                      brand       behaviour
==========================  ==========  =====================================================
4242 4242 4242 4242         visa        succeeds (payment authorised, card saved)
5555 5555 5555 4444         mastercard  succeeds
4000 0000 0000 0002         visa        declined: ``card_declined``
4000 0000 0000 9995         visa        declined: ``insufficient_funds``
4000 0000 0000 0069         visa        declined: ``expired_card``
4000 0000 0000 0341         visa        can be saved (setup succeeds), but every payment with
                                        it is declined: ``card_declined`` (tests failing
                                        merchant-initiated charges)
4000 0027 6000 3184         visa        3-D Secure challenge: code ``1234`` passes, any other
                                        code (or cancelling) declines with
                                        ``authentication_failed``; once saved it is not
                                        challenged again
4000 0000 0000 3220         visa        3-D Secure challenge on every payment the cardholder
                                        is present for, even when saved; a merchant-initiated
                                        charge is declined: ``authentication_required``
4000 0084 0000 1629         visa        3-D Secure challenge that always fails, whatever the
                                        code: ``authentication_failed``
==========================  ==========  =====================================================

Any expiry date in the future and any 3- or 4-digit CVC work. Another number, even a valid
one, is refused by the form: this is a sandbox and never sees a real card. Of a card only
brand, last four digits and expiry are kept (:class:`CardFacts`); the number is never stored.

For server-side tests every card also has a **test method token** usable as ``method`` in
``POST /v1/payments`` without a browser, ``pm_card_<key>`` (e.g. ``pm_card_visa_declined``,
see :data:`TEST_CARDS` for the keys): each use is a fresh card entered with the customer
present, not a saved one (so ``pm_card_visa_3ds`` is challenged, and refused off-session
with ``authentication_required``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

CHALLENGE_CODE = "1234"
"""The one-time code that passes the sandbox's 3-D Secure challenge."""
TEST_METHOD_PREFIX = "pm_card_"


class Outcome(StrEnum):
    SUCCEED = "succeed"
    DECLINE = "decline"
    SAVE_THEN_DECLINE = "save_then_decline"
    CHALLENGE = "challenge"
    """Challenged until saved (then exempt)."""
    CHALLENGE_ALWAYS = "challenge_always"
    """Challenged whenever the cardholder is present; cannot be charged off-session."""
    CHALLENGE_FAILS = "challenge_fails"


@dataclass(frozen=True, slots=True)
class TestCard:
    key: str
    """Names the card's behaviour in the sandbox's storage (the number is never stored)."""
    number: str
    brand: str
    outcome: Outcome
    decline_code: str | None
    description: str

    __test__ = False  # not a pytest test class

    @property
    def spaced(self) -> str:
        """The number in groups of four, as printed on a card."""
        return " ".join(self.number[i : i + 4] for i in range(0, len(self.number), 4))

    @property
    def token(self) -> str:
        """The test method token standing for this card in API requests."""
        return f"{TEST_METHOD_PREFIX}{self.key}"

    @property
    def declines(self) -> bool:
        return self.outcome in (Outcome.DECLINE, Outcome.SAVE_THEN_DECLINE)

    def needs_challenge(self, *, saved: bool) -> bool:
        """Whether paying with this card asks for 3-D Secure (a card saved after passing it
        is exempt, unless it asks every time)."""
        if self.outcome is Outcome.CHALLENGE:
            return not saved
        return self.outcome in (Outcome.CHALLENGE_ALWAYS, Outcome.CHALLENGE_FAILS)

    def passes_challenge(self, code: str) -> bool:
        can_pass = self.outcome in (Outcome.CHALLENGE, Outcome.CHALLENGE_ALWAYS)
        return can_pass and code.strip() == CHALLENGE_CODE


TEST_CARDS: tuple[TestCard, ...] = (
    TestCard("visa_success", "4242424242424242", "visa", Outcome.SUCCEED, None, "succeeds"),
    TestCard(
        "mastercard_success", "5555555555554444", "mastercard", Outcome.SUCCEED, None, "succeeds"
    ),
    TestCard(
        "visa_declined", "4000000000000002", "visa", Outcome.DECLINE, "card_declined", "declined"
    ),
    TestCard(
        "visa_insufficient_funds",
        "4000000000009995",
        "visa",
        Outcome.DECLINE,
        "insufficient_funds",
        "insufficient funds",
    ),
    TestCard(
        "visa_expired", "4000000000000069", "visa", Outcome.DECLINE, "expired_card", "expired card"
    ),
    TestCard(
        "visa_save_then_decline",
        "4000000000000341",
        "visa",
        Outcome.SAVE_THEN_DECLINE,
        "card_declined",
        "can be saved, every payment declined",
    ),
    TestCard(
        "visa_3ds",
        "4000002760003184",
        "visa",
        Outcome.CHALLENGE,
        "authentication_failed",
        f"3-D Secure until saved: code {CHALLENGE_CODE} passes, anything else fails",
    ),
    TestCard(
        "visa_3ds_always",
        "4000000000003220",
        "visa",
        Outcome.CHALLENGE_ALWAYS,
        "authentication_failed",
        f"3-D Secure on every payment (code {CHALLENGE_CODE}); no off-session charges",
    ),
    TestCard(
        "visa_3ds_fails",
        "4000008400001629",
        "visa",
        Outcome.CHALLENGE_FAILS,
        "authentication_failed",
        "3-D Secure challenge always fails",
    ),
)
_BY_NUMBER = {card.number: card for card in TEST_CARDS}
_BY_KEY = {card.key: card for card in TEST_CARDS}

DECLINE_MESSAGES = {
    "card_declined": "The card was declined.",
    "insufficient_funds": "The card has insufficient funds.",
    "expired_card": "The card has expired.",
    "authentication_failed": "3-D Secure authentication failed.",
    "authentication_required": "The card requires 3-D Secure, which needs the cardholder present.",
}


@dataclass(frozen=True, slots=True)
class CardFacts:
    """What the sandbox keeps of a card entered on its form."""

    card: TestCard
    last4: str
    exp_month: int
    exp_year: int


class CardRefused(ValueError):
    """The card form is not filled in correctly; the message is shown to the cardholder."""


_EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*$")


def read_card(number: str, expiry: str, cvc: str, *, now: datetime) -> CardFacts:
    """The test card behind what was typed into the form; :class:`CardRefused` with a
    message for the cardholder when the form is wrong or the number is not a test card."""
    digits = re.sub(r"[\s-]", "", number)
    if not digits.isdigit() or not 12 <= len(digits) <= 19 or not luhn_valid(digits):
        raise CardRefused("The card number is not valid.")
    card = _BY_NUMBER.get(digits)
    if card is None:
        raise CardRefused("This is a sandbox: use one of the test card numbers listed below.")
    match = _EXPIRY.match(expiry)
    if match is None:
        raise CardRefused("Enter the expiry date as MM/YY.")
    month, year = int(match.group(1)), int(match.group(2))
    if len(match.group(2)) == 2:
        year += 2000
    if not 1 <= month <= 12:
        raise CardRefused("The expiry month must be between 01 and 12.")
    if (year, month) < (now.year, now.month):
        raise CardRefused("The expiry date is in the past.")
    if not re.fullmatch(r"\d{3,4}", cvc.strip()):
        raise CardRefused("The CVC is the 3 digits on the back of the card.")
    return CardFacts(card=card, last4=digits[-4:], exp_month=month, exp_year=year)


def luhn_valid(digits: str) -> bool:
    """Whether ``digits`` passes the Luhn check every card number carries."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def card_by_key(key: str) -> TestCard:
    """The test card stored under ``key``; ``KeyError`` when there is none."""
    return _BY_KEY[key]


def card_by_token(token: str) -> TestCard | None:
    """The test card a test method token (``pm_card_<key>``) stands for, if it is one."""
    if not token.startswith(TEST_METHOD_PREFIX):
        return None
    return _BY_KEY.get(token.removeprefix(TEST_METHOD_PREFIX))
