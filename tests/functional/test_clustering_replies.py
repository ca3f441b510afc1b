"""A real AI's clustering replies paraphrase, drop and invent: the run goes on, charges only for
replies it used, and joins only the clusters it offered (issue 9, defects 2 and 3)."""

from __future__ import annotations

import json

from sqlalchemy import select

from igny8_tui.db.models import Cluster, CreditLedger, Keyword
from igny8_tui.runtime import RunOutcome, Runtime
from tests.functional.test_openai_provider import (
    FIVE_KEYWORDS,
    ai_runtime,
    ai_runtime_with,
    balance_is_ledger,
    charges,
    execute,
    small_site,
)
from tests.openai_server import FakeOpenAIServer, Fault, fake_openai

__all__ = ["ai_runtime", "ai_runtime_with", "fake_openai"]  # fixtures used by these tests

TEXTS = [line.split(",")[0] for line in FIVE_KEYWORDS.splitlines()[1:]]


def _reply(*clusters: tuple[str, list[str], int | None]) -> Fault:
    body = {
        "clusters": [
            {"name": name, "description": name, "keywords": keywords, "existing_cluster_id": cid}
            for name, keywords, cid in clusters
        ]
    }
    return Fault(content=json.dumps(body))


def test_a_reply_that_matches_no_keyword_is_not_charged_and_the_run_goes_on(
    ai_runtime: Runtime, fake_openai: FakeOpenAIServer
) -> None:
    site_id = small_site(ai_runtime)
    paraphrased = [f"about {t}" for t in TEXTS]
    fake_openai.script(
        _reply(("Beds", paraphrased, None)), _reply(("Beds", paraphrased, None)), endpoint="chat"
    )
    run_id, outcome = execute(ai_runtime, site_id)
    assert outcome is RunOutcome.COMPLETED
    assert charges(ai_runtime, 1) == [], "a discarded reply was charged"
    with ai_runtime.db.read() as s:
        keys = list(s.scalars(select(CreditLedger.item_key)))
        still_new = set(s.scalars(select(Keyword.text).where(Keyword.status == "new")))
    assert len(keys) == len(set(keys))
    assert still_new == set(TEXTS), "unmatched keywords stay for a later run"
    log = [e.message for e in ai_runtime.service.logs(site_id, run_id, 500)]
    assert any("left unclustered" in line and TEXTS[0] in line for line in log), log
    assert balance_is_ledger(ai_runtime)


def test_keywords_match_across_case_whitespace_and_unicode_forms(
    ai_runtime: Runtime, fake_openai: FakeOpenAIServer
) -> None:
    site_id = small_site(ai_runtime)
    # Upper case, doubled spaces, and full-width letters (NFKC folds them to ASCII).
    odd = [
        "  ".join(TEXTS[0].upper().split()),
        TEXTS[1].translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)}),
        *TEXTS[2:],
    ]
    fake_openai.script(_reply(("Beds", odd, None)), endpoint="chat")
    _, outcome = execute(ai_runtime, site_id)
    assert outcome is RunOutcome.COMPLETED
    listed = ai_runtime.workspace.keywords(site_id)
    assert {k.status for k in listed} == {"mapped"}
    assert len(charges(ai_runtime, 1)) == 1


def test_only_offered_clusters_may_be_joined(
    ai_runtime_with: object, fake_openai: FakeOpenAIServer
) -> None:
    rt: Runtime = ai_runtime_with(IGNY8_MIN_KEYWORDS_TO_CLUSTER="1")  # type: ignore[operator]
    site_id = small_site(rt)
    # One keyword a group; every group after the first claims the id of the first new one.
    groups = [(f"Group {i}", [text], None if i == 0 else 1) for i, text in enumerate(TEXTS)]
    fake_openai.script(_reply(*groups), endpoint="chat")
    _, outcome = execute(rt, site_id)
    assert outcome is RunOutcome.COMPLETED
    with rt.db.read() as s:
        clusters = s.scalars(select(Cluster)).all()
        members = {
            c.id: set(s.scalars(select(Keyword.text).where(Keyword.cluster_id == c.id)))
            for c in clusters
        }
    assert len(clusters) == len(TEXTS), "an id that was never offered merged groups"
    assert all(len(texts) == 1 for texts in members.values())
