"""The processing card: what the run is doing right now, or why it is not."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from igny8_tui.formatting import count, credits, duration, host_sentence
from igny8_tui.runtime import stage_class
from igny8_tui.schemas import DashboardSnapshot
from igny8_tui.tui.run_clock import elapsed_seconds, paused_for_seconds

UP_NEXT_SHOWN = 3


def _host_line(data: DashboardSnapshot, hosted_here: bool, now: datetime) -> str | None:
    run = data.run
    if run is None or run.status != "running":
        return None
    if run.host_state == "hosted":
        return None if hosted_here or not run.host else f"hosted by another process: {run.host}"
    sentence = host_sentence(run, now)
    return f"⚠ {sentence}" if run.host_state == "stuck" and sentence else sentence


def _published_count(data: DashboardSnapshot) -> int:
    """Articles the shown run published (stage 7's result)."""
    if data.progress is None:
        return 0
    result = data.progress.stages[-1].result or {}
    return int(result.get("published", 0))


def processing_text(data: DashboardSnapshot, hosted_here: bool, now: datetime) -> str:
    """The card's lines for the site's active or latest run."""
    run, work = data.run, data.processing
    if run is None:
        waiting = sum(s.pending for s in data.overview.stages)
        return f"No run yet.\n{count(waiting)} items wait in the pipeline.\nPress r to run now."
    lines: list[str] = []
    if run.status == "completed":
        lines += [
            f"Run {run.run_id} completed in {duration(run.duration_seconds)}",
            f"{count(run.items_processed)} items · {credits(run.total_credits_used)} credits",
        ]
        published = _published_count(data)
        if published:
            lines.append(f"{count(published)} articles → {data.published_to}")
        waiting = sum(s.pending for s in data.overview.stages)
        if waiting:
            lines.append(f"{count(waiting)} items still pending; r continues, c lists articles")
        else:
            lines.append("Nothing pending. c lists the articles, h the history.")
        return "\n".join(lines)
    if run.status in ("failed", "cancelled"):
        lines.append(f"Run {run.run_id} {run.status} at stage {run.current_stage}")
        if run.error_message:
            lines.append(f"✗ {run.error_message}")
        lines.append(f"{count(run.items_processed)} items · {credits(run.total_credits_used)} cr")
        return "\n".join(lines)
    stage = run.current_stage
    header = f"Stage {stage} · {stage_class(stage).name}"
    if work is not None:
        header += f"   batch {work.batch_number} of {work.batch_count}"
    lines.append(header)
    host = _host_line(data, hosted_here, now)
    if host:
        lines.append(host)
    paused_for = paused_for_seconds(run, now)
    if paused_for is not None:
        lines.append(f"❚❚ paused {duration(paused_for)} · {run.pause_reason or 'by request'}")
    elif run.control_request:
        lines.append(f"{run.control_request} requested: after the current item")
    if work is not None:
        lines += [f"▶ {item}" for item in work.current_items[:1]]
        # A paused run has no rate: the last one would only go stale.
        per_minute = work.items_per_minute if paused_for is None else 0
        more = len(work.current_items) - 1
        lines.append(
            f"  {count(work.processed_in_stage)} of {count(work.input_in_stage)} done"
            + (f" · {more} more in hand" if more > 0 else "")
            + (f" · {per_minute:,.1f} items/min" if per_minute else "")
        )
    if data.progress is not None and data.progress.forecast_warning:
        lines.append(f"⚠ {data.progress.forecast_warning}")
    at_work = duration(elapsed_seconds(run, now))
    lines.append(
        f"Credits this run {credits(run.total_credits_used)} · "
        + (f"ran {at_work} before the pause" if paused_for is not None else f"running {at_work}")
    )
    # Last, so a short card (a small terminal) cuts these first.
    if work is not None and work.up_next:
        lines.append("Up next")
        lines += [f"  {item}" for item in work.up_next[:UP_NEXT_SHOWN]]
    return "\n".join(lines)


def processing_summary(data: DashboardSnapshot) -> str:
    """The card collapsed to one line, when no run is active (a small terminal shows only it)."""
    run = data.run
    waiting = sum(s.pending for s in data.overview.stages)
    pending = f"{count(waiting)} items pending · r runs now" if waiting else "nothing pending"
    if run is None:
        return f"No run yet · {pending}"
    if run.status == "completed":
        published = _published_count(data)
        where = f" · {count(published)} articles → {data.published_to}" if published else ""
        return f"Run {run.run_id} completed in {duration(run.duration_seconds)}{where} · {pending}"
    error = f": {run.error_message}" if run.error_message else ""
    return f"Run {run.run_id} {run.status} at stage {run.current_stage}{error}"


class ProcessingCard(Vertical):
    """The full card, and its one-line form for when no run is active (shown by the styles on a
    small terminal)."""

    def compose(self) -> ComposeResult:
        yield Static("", id="processing-summary")
        yield Static("", id="processing-detail")

    def show(self, data: DashboardSnapshot, hosted_here: bool, now: datetime) -> None:
        status = data.run.status if data.run else None
        self.set_class(status == "paused", "-paused")
        self.set_class(status == "failed", "-failed")
        # With no run active the card may collapse to a line, unless the last run failed: its
        # error needs reading.
        self.set_class(not data.active and status != "failed", "-idle")
        # An endpoint igny8 stopped sending to is news whatever the run does: first, always.
        warnings = [f"⚠ {line} · E lists the events" for line in data.disabled_webhooks]
        self.query_one("#processing-summary", Static).update(
            " · ".join([*warnings[:1], processing_summary(data)])
        )
        self.query_one("#processing-detail", Static).update(
            "\n".join([*warnings, processing_text(data, hosted_here, now)])
        )
