"""Human-readable text for each kind of CLI result (`--json` prints the models instead)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from igny8_tui.schemas import (
    CurrentProcessing,
    Estimate,
    LogEntry,
    PipelineOverview,
    RunProgress,
    RunSummary,
)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    return "\n".join(lines)


def _time(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if value else "—"


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _run(run: RunSummary) -> str:
    lines = [
        f"run {run.run_id} · {run.status} · {run.trigger_type} · stage {run.current_stage}/7",
        f"started {_time(run.started_at)} · duration {_duration(run.duration_seconds)}"
        f" · credits {run.total_credits_used:,g} · items {run.items_processed:,}",
    ]
    if run.control_request:
        lines.append(f"{run.control_request} requested; takes effect after the current item")
    if run.pause_reason and run.status == "paused":
        lines.append(f"paused: {run.pause_reason}")
    if run.error_message:
        lines.append(f"error: {run.error_message}")
    if run.host_state == "hosted":
        lines.append(f"hosted by {run.host} · last heartbeat {_time(run.heartbeat_at)}")
    elif run.host_state == "stuck":
        lines.append(
            f"stuck: its host stopped heart-beating {run.seconds_since_heartbeat:.0f}s ago;"
            " the next host to start (igny8 daemon, igny8 run, the dashboard) recovers it"
        )
    elif run.host_state == "waiting":
        lines.append("waiting for a host: start `igny8 daemon` or `igny8 run --site ...`")
    return "\n".join(lines)


def _progress(progress: RunProgress) -> str:
    g = progress.global_progress
    head = f"progress {g.percentage}% · {g.completed_items:,}/{g.total_items:,} items"
    rows = [
        (
            s.number,
            s.name,
            s.status + (f" ({s.skip_reason})" if s.skip_reason else ""),
            f"{s.processed_count:,}/{s.input_count:,}",
            f"{s.credits_used:g}",
            f"{s.time_elapsed:.1f}s",
        )
        for s in progress.stages
    ]
    return head + "\n" + table(("#", "stage", "state", "done", "credits", "time"), rows)


def _status(data: dict[str, Any]) -> str:
    run: RunSummary | None = data["run"]
    if run is None:
        return "no runs yet"
    return _run(run) + ("\n" + _progress(data["progress"]) if data["progress"] else "")


def _overview(data: PipelineOverview) -> str:
    rows = [(s.number, s.name, s.pending, "skipped" if s.skip else "") for s in data.stages]
    return table(("#", "stage", "pending", ""), rows)


def _processing(data: CurrentProcessing | None) -> str:
    if data is None:
        return "no active run"
    lines = [
        f"run {data.run_id} · {data.status} · stage {data.stage} · {data.stage_name}",
        f"batch {data.batch_number} of {data.batch_count} · {data.processed_in_stage:,} of "
        f"{data.input_in_stage:,} done · {data.items_per_minute:g} items/min",
    ]
    if data.pause_reason:
        lines.append(f"paused: {data.pause_reason}")
    lines += [f"▶ {item}" for item in data.current_items]
    lines += [f"  next: {item}" for item in data.up_next]
    return "\n".join(lines)


def _estimate(data: Estimate) -> str:
    rows = [(s.number, s.name, f"{s.items:,}", f"{s.credits:,g}") for s in data.stages]
    verdict = "enough" if data.sufficient else "NOT enough"
    return (
        table(("#", "stage", "items", "credits"), rows)
        + f"\ntotal {data.total_credits:,g} × {data.buffer_multiplier} = "
        f"{data.required_credits:,g} needed · balance {data.balance:,g} ({verdict};"
        f" based on {data.basis})"
    )


def _history(data: dict[str, Any]) -> str:
    runs: list[RunSummary] = data["runs"]
    notes: list[LogEntry] = data["not_started"]
    rows = [
        (
            r.run_id,
            r.trigger_type,
            r.status,
            _time(r.started_at),
            _duration(r.duration_seconds),
            f"{r.total_credits_used:,g}",
            f"{r.items_processed:,}",
        )
        for r in runs
    ]
    text = table(("run", "trigger", "status", "started", "duration", "credits", "items"), rows)
    if notes:
        text += "\n\n" + "\n".join(f"{_time(n.created_at)} {n.message}" for n in notes)
    return text


def _log(entry: LogEntry) -> str:
    stage = f"s{entry.stage}" if entry.stage else "  "
    return f"{_time(entry.created_at)} {entry.level:<5} {stage} {entry.message}"


def _config(data: Any) -> str:
    values = data.model_dump()
    lines = [f"{k} = {v}" for k, v in values.items() if k != "ai"]
    lines += [f"ai.{k} = {v}" for k, v in values["ai"].items() if v is not None]
    return "\n".join(lines)


def _ai_check(data: Any) -> str:
    if not data.ok:
        return f"AI provider {data.provider} at {data.base_url}: NOT OK · {data.error}"
    return (
        f"AI provider {data.provider} at {data.base_url}: OK · model {data.model}"
        f" · {data.latency_ms:.0f} ms"
    )


def _prompts(data: dict[str, Any]) -> str:
    rows = [(t["name"], t["source"], ", ".join(t["fields"])) for t in data["templates"]]
    return f"overrides go in {data['directory']}/NAME.txt\n" + table(
        ("template", "source", "fields"), rows
    )


_NO_REVISION = {"empty": "none (an empty database)", "legacy": "none (made before migrations)"}


def _db_current(data: Any) -> str:
    current = data.current or _NO_REVISION.get(data.state, "none")
    return f"database: {data.database}\ncurrent: {current}\nhead: {data.head}\nstate: {data.state}"


def _db_upgrade(data: Any) -> str:
    if data.from_state == "current":
        return f"{data.database} is already at schema revision {data.to_revision} (the head)"
    if data.from_state == "empty":
        return f"created {data.database} at schema revision {data.to_revision}"
    start = data.from_revision or _NO_REVISION["legacy"]
    backup = f"\nbackup: {data.backup}" if data.backup else ""
    return f"upgraded {data.database}: schema revision {start} → {data.to_revision}{backup}"


def _records(keys: Sequence[str]) -> Callable[[list[Any]], str]:
    def render_list(items: list[Any]) -> str:
        if not items:
            return "(none)"
        return table(keys, [[getattr(i, k) for k in keys] for i in items])

    return render_list


def _fields(data: Any) -> str:
    return "\n".join(f"{k}: {v}" for k, v in data.model_dump().items())


RENDERERS: dict[str, Callable[[Any], str]] = {
    "run": _run,
    "started": lambda r: (
        f"run {r.run_id} created · estimate {r.estimated_credits:,g} credits"
        f" · balance {r.balance:,g}; a daemon or dashboard will execute it"
    ),
    "status": _status,
    "overview": _overview,
    "processing": _processing,
    "estimate": _estimate,
    "history": _history,
    "logs": lambda entries: "\n".join(_log(e) for e in entries) or "(no log lines)",
    "log": _log,
    "config": _config,
    "ai_check": _ai_check,
    "prompts": _prompts,
    "credits": lambda c: f"balance {c.balance:,g} credits (ledger {c.ledger_sum:,g})",
    "site": _fields,
    "import": lambda r: f"{r.site}: {r.rows} rows · {r.added} added · {r.merged} merged",
    "sites": _records(("id", "name", "domain", "keywords")),
    "keywords": _records(("keyword", "volume", "difficulty", "intent", "status", "cluster")),
    "clusters": _records(("id", "name", "keywords", "status")),
    "content": _records(("id", "title", "words", "status", "published_path")),
    "db_current": _db_current,
    "db_upgrade": _db_upgrade,
}


def render(kind: str, data: Any) -> str:
    return RENDERERS[kind](data)
