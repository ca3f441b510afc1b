"""Credits: integer milli-credits in the database, the ledger, and what each operation costs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from igny8_tui.ai.outputs import TokenUsage
from igny8_tui.db.models import Account, AutomationRun, CreditLedger
from igny8_tui.settings import CreditCosts

MILLI_PER_CREDIT = 1000


def to_milli(credits: Decimal | int | float | str) -> int:
    return int((Decimal(str(credits)) * MILLI_PER_CREDIT).quantize(Decimal(1), ROUND_HALF_UP))


def from_milli(milli: int) -> float:
    return milli / MILLI_PER_CREDIT


def shown(milli: int) -> str:
    """Milli-credits as credits, exactly and without an exponent: 3,000,000 or 2,147,483.647."""
    return f"{Decimal(milli) / MILLI_PER_CREDIT:,.3f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class TokenRate:
    """Token billing for one operation: ceil(tokens / tokens_per_credit), at least min_credits."""

    tokens_per_credit: int
    min_credits: int


TOKEN_RATES = {
    "clustering": TokenRate(150, 2),
    "ideas": TokenRate(200, 1),
    "content": TokenRate(100, 3),
    "image_prompts": TokenRate(100, 1),
}
TOKEN_MODE_IMAGE_CREDITS = 5


class Costs:
    """The price of each AI operation, in milli-credits, from the configured costs; in token
    mode, from the tokens the server reports (only for validated replies)."""

    def __init__(self, costs: CreditCosts, mode: str = "fixed") -> None:
        self.token_mode = mode == "tokens"
        self.clustering_batch = to_milli(costs.clustering_per_batch)
        self.idea = to_milli(costs.per_idea)
        self.per_100_words = to_milli(costs.content_per_100_words)
        self.image_prompt = to_milli(costs.per_image_prompt)
        self.image = to_milli(costs.per_image)

    def ideas(self, count: int) -> int:
        return self.idea * count

    def content(self, words: int) -> int:
        """1 unit per 100 words, rounded up per article."""
        return self.per_100_words * math.ceil(words / 100)

    def image_prompts(self, count: int) -> int:
        return self.image_prompt * count

    def billed(self, operation: str, fixed_milli: int, usage: TokenUsage | None) -> int:
        """What a validated reply costs: the fixed price, or in token mode its tokens' price."""
        if not self.token_mode:
            return fixed_milli
        if operation == "images":
            return TOKEN_MODE_IMAGE_CREDITS * MILLI_PER_CREDIT
        rate = TOKEN_RATES[operation]
        tokens = usage.total_tokens if usage else 0
        return max(rate.min_credits, math.ceil(tokens / rate.tokens_per_credit)) * MILLI_PER_CREDIT


def balance_milli(session: Session, account_id: int) -> int:
    return session.scalar(select(Account.balance_milli).where(Account.id == account_id)) or 0


def ledger_sum_milli(session: Session, account_id: int) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(CreditLedger.amount_milli), 0)).where(
            CreditLedger.account_id == account_id
        )
    )
    return int(total or 0)


def grant(session: Session, account_id: int, amount_milli: int, note: str) -> None:
    """Add credits: a positive ledger row and the balance, in the caller's transaction."""
    session.add(
        CreditLedger(account_id=account_id, kind="grant", amount_milli=amount_milli, note=note)
    )
    session.execute(
        update(Account)
        .where(Account.id == account_id)
        .values(balance_milli=Account.balance_milli + amount_milli)
    )


def charge(
    session: Session,
    *,
    account_id: int,
    run_id: int,
    stage: int,
    item_key: str,
    amount_milli: int,
    note: str,
) -> None:
    """Charge one item once: the ledger's unique (run, stage, item) refuses a second charge."""
    session.add(
        CreditLedger(
            account_id=account_id,
            run_id=run_id,
            stage=stage,
            item_key=item_key,
            kind="charge",
            amount_milli=-amount_milli,
            note=note,
        )
    )
    session.flush()
    session.execute(
        update(Account)
        .where(Account.id == account_id)
        .values(balance_milli=Account.balance_milli - amount_milli)
    )
    session.execute(
        update(AutomationRun)
        .where(AutomationRun.id == run_id)
        .values(total_credits_used_milli=AutomationRun.total_credits_used_milli + amount_milli)
    )
