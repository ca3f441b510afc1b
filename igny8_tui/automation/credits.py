"""Credits: integer milli-credits in the database, the ledger, and what each operation costs."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from igny8_tui.db.models import Account, AutomationRun, CreditLedger
from igny8_tui.settings import CreditCosts

MILLI_PER_CREDIT = 1000


def to_milli(credits: Decimal | int | float | str) -> int:
    return int((Decimal(str(credits)) * MILLI_PER_CREDIT).quantize(Decimal(1), ROUND_HALF_UP))


def from_milli(milli: int) -> float:
    return milli / MILLI_PER_CREDIT


class Costs:
    """The price of each AI operation, in milli-credits, from the configured costs."""

    def __init__(self, costs: CreditCosts) -> None:
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
