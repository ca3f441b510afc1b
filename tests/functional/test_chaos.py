"""Chaos: hosts killed (`kill -9`) at random moments in every stage, restarted each time, and
afterwards every promise of the engine still holds, read straight from the database and the disk.

The seed decides where each kill aims, how long after the aimed-at progress it lands, and which
host comes next; it is in every failure message. `pytest --chaos-seed N` replays a plan (the
machine's timing still varies, so a replay is likely, not certain, to kill at the same moments).
"""

from __future__ import annotations

import random
import signal
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from igny8_tui.db.models import (
    Account,
    ActivityLog,
    AutomationRun,
    Cluster,
    Content,
    ContentIdea,
    CreditLedger,
    Image,
    Keyword,
    Task,
    utcnow,
)
from igny8_tui.runtime import Runtime
from igny8_tui.schemas import ConfigUpdate
from tests.conftest import SMALL_TOPICS_ROWS, Igny8Process, start_igny8, wait_until
from tests.functional.test_hosts import SITE, SMALL_IN_3_BATCHES, _prepare

EXPECTED = SMALL_IN_3_BATCHES
# Items of each stage for the small keyword file, and the stage result field counting them.
ITEMS = {
    1: SMALL_TOPICS_ROWS,
    2: EXPECTED.clusters,
    3: EXPECTED.ideas,
    4: EXPECTED.ideas,
    5: EXPECTED.ideas,
    6: EXPECTED.images,
    7: EXPECTED.ideas,
}
PROCESSED = {
    1: "keywords_processed",
    2: "clusters_processed",
    3: "ideas_processed",
    4: "tasks_processed",
    5: "content_processed",
    6: "images_processed",
    7: "ready_for_review",
}
PLANNED_KILLS = 9  # one in each stage, and two more at random
LEAST_KILLS = 7  # a kill aimed near the end may come after the run completed
# Items a kill aims to leave undone in its stage, and how long after the aimed-at progress it
# may land: about two items' time, so that it lands inside the stage (stages 3 and 7 are quick).
ITEMS_LEFT = {1: 9, 2: 2, 3: 5, 4: 2, 5: 2, 6: 10, 7: 2}
MAX_DELAY_S = {1: 0.1, 2: 0.1, 3: 0.01, 4: 0.15, 5: 0.15, 6: 0.25, 7: 0.03}
HOST_ENV = {"IGNY8_LEASE_TTL_S": "1", "IGNY8_LOCAL_LATENCY_MS": "80"}
DEADLINE_S = 120

HostKind = Literal["run", "daemon"]
HOST_KINDS: tuple[HostKind, HostKind] = ("run", "daemon")


@dataclass(frozen=True)
class Kill:
    """A kill -9 once the run has done `after` items of `stage` (or is past it), `delay_s` later;
    then a host of kind `next_host` with `concurrency` AI calls at once takes over."""

    stage: int
    after: int
    delay_s: float
    next_host: HostKind
    concurrency: int


def kill_plan(rng: random.Random) -> list[Kill]:
    """A kill in every stage and the rest where AI calls take time, in the order the run meets
    them; daemons come back more often than `igny8 run`, as they recover a run sooner."""
    stages = [*range(1, 8), *rng.choices([1, 2, 4, 5, 6], k=PLANNED_KILLS - 7)]
    aims = sorted((stage, rng.randint(0, ITEMS[stage] - ITEMS_LEFT[stage])) for stage in stages)
    return [
        Kill(
            stage,
            after,
            rng.uniform(0, MAX_DELAY_S[stage]),
            rng.choices(HOST_KINDS, weights=(1, 2))[0],
            rng.choice([1, 2, 4]),
        )
        for stage, after in aims
    ]


@dataclass(frozen=True)
class Position:
    """Where the run is: its status, stage, items done in that stage, and who holds it."""

    status: str
    stage: int
    done: int
    owner: str | None

    def reached(self, stage: int, after: int) -> bool:
        return self.stage > stage or (self.stage == stage and self.done >= after)


def _position(rt: Runtime) -> Position | None:
    with rt.db.read() as s:
        run = s.scalars(select(AutomationRun)).first()
        if run is None:
            return None
        result = run.stage_result(run.current_stage) or {}
        done = int(result.get(PROCESSED[run.current_stage], 0))
        return Position(run.status, run.current_stage, done, run.lease_owner)


class Chaos:
    """One host at a time on the site's run; each killed at its planned moment, then replaced."""

    def __init__(self, rt: Runtime, home: Path, seed: int) -> None:
        self.rt, self.home, self.seed = rt, home, seed
        self.landed: list[tuple[int, int]] = []  # (stage, items done) where each kill landed
        self.host: Igny8Process | None = None
        self.kind: HostKind = "run"
        self.killed = False

    @property
    def note(self) -> str:
        return (
            f"chaos seed {self.seed} (replay: pytest --chaos-seed {self.seed}); "
            f"kills landed at (stage, items done) {self.landed}"
        )

    def start(self, kind: HostKind, concurrency: int | None = None) -> None:
        env = dict(HOST_ENV)
        if concurrency is not None:
            env["IGNY8_AI_CONCURRENCY"] = str(concurrency)
        if kind == "run":
            # `igny8 run` refuses a run whose lease is live: it must find the run stuck.
            self.wait(
                self._lease_free, "the killed host's lease to expire", alive=False, poll_s=0.02
            )
            self.host = start_igny8(self.home, "run", "--site", SITE, **env)
        else:
            # A daemon recovers the run by itself once the lease expires.
            self.host = start_igny8(self.home, "daemon", **env)
        self.kind, self.killed = kind, False

    def kill_at(self, kill: Kill) -> None:
        self.wait(self._claimed_by_host, "the new host to claim the run", poll_s=0.02)
        self.wait(lambda: self._reached(kill), f"{kill.after} items of stage {kill.stage}")
        # The random moment itself: the point of the test, not a wait for a condition.
        time.sleep(kill.delay_s)
        host = self.host_
        host.send_signal(signal.SIGKILL)
        host.wait(timeout=DEADLINE_S)
        self.killed = True
        position = _position(self.rt)
        if host.returncode == -signal.SIGKILL and position and position.status == "running":
            self.landed.append((position.stage, position.done))

    def finish(self) -> None:
        """The last host runs the run to its end and exits as it should."""
        self.wait(self._completed, "the run to complete", alive=not self.killed, poll_s=0.05)
        if self.killed:
            return  # the last kill came just after the run completed
        host = self.host_
        if self.kind == "daemon":
            host.send_signal(signal.SIGTERM)
        _, err = host.communicate(timeout=DEADLINE_S)
        assert host.returncode == 0, f"{self.note}\n{err}"

    def stop(self) -> None:
        if self.host is not None:
            self.host.kill()
            self.host.wait(timeout=DEADLINE_S)

    def wait(
        self, check: Callable[[], bool], what: str, alive: bool = True, poll_s: float = 0.005
    ) -> None:
        """Until `check` holds; fails at once if the host, which should be `alive`, exits.
        Polls often where a kill must land inside a quick stage."""

        def holds() -> bool:
            if check():
                return True
            if alive and self.host_.poll() is not None:
                _, err = self.host_.communicate()
                pytest.fail(f"{self.note}: the host exited while waiting for {what}\n{err}")
            return False

        wait_until(holds, timeout_s=DEADLINE_S, interval_s=poll_s, what=f"{what}; {self.note}")

    def status(self) -> str | None:
        position = _position(self.rt)
        return position.status if position else None

    @property
    def host_(self) -> Igny8Process:
        assert self.host is not None
        return self.host

    def _reached(self, kill: Kill) -> bool:
        position = _position(self.rt)
        return position is not None and position.reached(kill.stage, kill.after)

    def _claimed_by_host(self) -> bool:
        position = _position(self.rt)
        owner = position.owner if position else None
        return owner is not None and owner.endswith(f":{self.host_.pid}")

    def _completed(self) -> bool:
        return self.status() == "completed"

    def _lease_free(self) -> bool:
        with self.rt.db.read() as s:
            expires = s.scalars(select(AutomationRun.lease_expires_at)).first()
        return expires is None or expires < utcnow()


@pytest.fixture
def chaos_seed(request: pytest.FixtureRequest) -> int:
    chosen: int | None = request.config.getoption("--chaos-seed")
    return chosen if chosen is not None else random.SystemRandom().randrange(2**32)


@pytest.mark.slow
def test_a_run_whose_hosts_are_killed_at_random_moments_completes_with_every_invariant_kept(
    home: Path, chaos_seed: int
) -> None:
    rt = _prepare(home, small=True)
    rt.service.update_config(1, ConfigUpdate(stage_1_batch_size=9))
    plan = kill_plan(random.Random(chaos_seed))
    chaos = Chaos(rt, home, chaos_seed)
    try:
        chaos.start("run")
        for kill in plan:
            chaos.kill_at(kill)
            if chaos.status() == "completed":
                break
            chaos.start(kill.next_host, kill.concurrency)
        chaos.finish()
    finally:
        chaos.stop()
    assert len(chaos.landed) >= LEAST_KILLS, chaos.note
    assert_invariants(rt, home, chaos.note, kills=len(chaos.landed))


def assert_invariants(rt: Runtime, home: Path, note: str, kills: int) -> None:
    with rt.db.read() as s:
        run = s.scalars(select(AutomationRun)).one()
        assert run.status == "completed", f"{note}: {run.error_message}"
        _assert_every_item_done_once(s, note)
        _assert_charged_once_per_item(s, run, note)
        _assert_counters_match_the_rows(s, run, note)
        recoveries = s.scalar(
            select(func.count()).where(ActivityLog.message.contains(" recovered by "))
        )
        assert recoveries == kills, f"{note}: each killed host's run recovered once"
        images = s.scalars(select(Image)).all()
        contents = s.scalars(select(Content)).all()
    _assert_files_are_the_rows(rt, home, images, contents, note)


def _count(s: Session, entity: type, *where: ColumnElement[bool]) -> int:
    return int(s.scalar(select(func.count()).select_from(entity).where(*where)) or 0)


def _assert_every_item_done_once(s: Session, note: str) -> None:
    keywords = s.scalars(select(Keyword)).all()
    assert len(keywords) == ITEMS[1], note
    assert {k.status for k in keywords} == {"mapped"}, note
    assert all(k.cluster_id is not None for k in keywords), note
    clusters = s.scalars(select(Cluster)).all()
    assert len(clusters) == EXPECTED.clusters, f"{note}: clusters made twice?"
    assert {c.id for c in clusters} == {k.cluster_id for k in keywords}, f"{note}: empty cluster"
    assert {c.status for c in clusters} == {"mapped"}, note
    ideas = s.scalars(select(ContentIdea)).all()
    tasks = s.scalars(select(Task)).all()
    contents = s.scalars(select(Content)).all()
    assert len(ideas) == len(tasks) == len(contents) == EXPECTED.ideas, note
    assert sorted(t.idea_id for t in tasks) == sorted(i.id for i in ideas), note
    assert sorted(c.task_id for c in contents) == sorted(t.id for t in tasks), note
    assert {t.status for t in tasks} == {"completed"}, note
    assert {(c.status, c.has_image_prompts) for c in contents} == {("published", True)}, note
    images = s.scalars(select(Image)).all()
    assert len(images) == EXPECTED.images, f"{note}: image prompts made twice?"
    assert {i.status for i in images} == {"generated"}, note
    per_content = Counter(i.content_id for i in images)
    assert set(per_content) == {c.id for c in contents}, note
    assert len({(i.content_id, i.position) for i in images}) == len(images), note


def _assert_charged_once_per_item(s: Session, run: AutomationRun, note: str) -> None:
    rows = s.execute(
        select(CreditLedger.stage, CreditLedger.item_key, CreditLedger.amount_milli).where(
            CreditLedger.run_id == run.id
        )
    ).all()
    keys = Counter((stage, key) for stage, key, _ in rows)
    assert [k for k, n in keys.items() if n > 1] == [], f"{note}: an item charged twice"
    by_stage: dict[int, set[str]] = {}
    for stage, key, _ in rows:
        by_stage.setdefault(stage, set()).add(key)
    charges = {
        stage: (len(keys_), -sum(a for st, _, a in rows if st == stage) // 1000)
        for stage, keys_ in by_stage.items()
    }
    assert charges == EXPECTED.charges, note
    items = {
        2: {f"cluster:{i}" for i in s.scalars(select(Cluster.id))},
        4: {f"task:{i}" for i in s.scalars(select(Task.id))},
        5: {f"content:{i}" for i in s.scalars(select(Content.id))},
        6: {f"image:{i}" for i in s.scalars(select(Image.id))},
    }
    for stage, expected in items.items():
        assert by_stage[stage] == expected, f"{note}: stage {stage} charged for other items"
    account = s.scalars(select(Account)).one()
    ledger_sum = s.scalar(
        select(func.sum(CreditLedger.amount_milli)).where(CreditLedger.account_id == account.id)
    )
    assert account.balance_milli == ledger_sum, f"{note}: the balance is not the ledger's sum"
    assert run.total_credits_used_milli == -sum(a for _, _, a in rows), note


def _assert_counters_match_the_rows(s: Session, run: AutomationRun, note: str) -> None:
    words = s.scalar(select(func.sum(Content.word_count)))
    made = {
        1: {
            "keywords_processed": _count(s, Keyword, Keyword.status == "mapped"),
            "clusters_created": _count(s, Cluster),
        },
        2: {"clusters_processed": _count(s, Cluster), "ideas_created": _count(s, ContentIdea)},
        3: {"ideas_processed": _count(s, ContentIdea), "tasks_created": _count(s, Task)},
        4: {
            "tasks_processed": _count(s, Task),
            "content_created": _count(s, Content),
            "total_words": words,
        },
        5: {"content_processed": _count(s, Content), "prompts_created": _count(s, Image)},
        6: {
            "images_processed": _count(s, Image),
            "images_generated": _count(s, Image, Image.status == "generated"),
        },
        7: {
            "ready_for_review": _count(s, Content),
            "published": _count(s, Content, Content.status == "published"),
        },
    }
    for stage, fields in made.items():
        result = run.stage_result(stage) or {}
        shown = {field: result.get(field) for field in fields}
        assert shown == fields, f"{note}: stage {stage}'s counters {shown} != the rows {fields}"
        state = {k: result[k] for k in ("status", "partial", "items_failed", "input_count")}
        processed = fields[PROCESSED[stage]]
        assert state == {
            "status": "completed",
            "partial": False,
            "items_failed": 0,
            "input_count": processed,
        }, f"{note}: stage {stage}"
        charged = s.scalar(
            select(func.coalesce(func.sum(CreditLedger.amount_milli), 0)).where(
                CreditLedger.run_id == run.id, CreditLedger.stage == stage
            )
        )
        assert round(result["credits_used"] * 1000) == -charged, f"{note}: stage {stage} credits"
    items = sum(fields[PROCESSED[stage]] for stage, fields in made.items())
    progress = {"total_items": items, "completed_items": items, "percentage": 100}
    assert run.progress == progress, f"{note}: progress {run.progress}"


def _assert_files_are_the_rows(
    rt: Runtime, home: Path, images: Sequence[Image], contents: Sequence[Content], note: str
) -> None:
    """One file per image row, one bundle per article, and nothing else, not even temp files."""
    media = {Path(image.file_path or "") for image in images}
    assert len(media) == len(images), f"{note}: two image rows share a file"
    assert _files(rt.settings.media_dir) == media, f"{note}: media files are not the rows'"
    bundles = {c.id: Path(c.published_path or "").parent for c in contents}
    assert len(set(bundles.values())) == len(contents), f"{note}: two articles share a bundle"
    published = {bundle / "index.md" for bundle in bundles.values()} | {
        bundles[image.content_id] / Path(image.file_path or "").name for image in images
    }
    assert _files(rt.settings.publish_dir) == published, (
        f"{note}: published files are not the rows'"
    )
    assert list(home.rglob("*.igny8-tmp")) == [], f"{note}: temp files left"


def _files(root: Path) -> set[Path]:
    return {path for path in root.rglob("*") if path.is_file()}
