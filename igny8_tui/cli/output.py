"""Human-readable text for each of the command's results, chosen by the result's type
(`--json` prints the models themselves)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import singledispatch
from typing import Any

from pydantic import BaseModel

from igny8_tui.cli.payloads import (
    ClusterList,
    ConfigView,
    ContentList,
    DeliveryList,
    HistoryReport,
    HostList,
    KeywordList,
    LogLines,
    NotifyTestReport,
    PromptsReport,
    PublishWebhookSet,
    SchemaReport,
    SchemaUpgrade,
    SiteList,
    StatusReport,
    WebhookList,
)
from igny8_tui.formatting import duration, host_process, host_sentence, last_claim
from igny8_tui.runtime import CheckResult
from igny8_tui.schemas import (
    ArticleDetail,
    CreditsReport,
    CurrentProcessing,
    DeliveryView,
    Estimate,
    ImportReport,
    LogEntry,
    PipelineOverview,
    PublishCheck,
    PublishTargetInfo,
    RetryReport,
    RunNowResult,
    RunProgress,
    RunSummary,
    WebhookAdded,
    WebhookInfo,
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


@singledispatch
def render(data: BaseModel) -> str:
    """Every field on a line of its own (results without a text of their own)."""
    return "\n".join(f"{k}: {v}" for k, v in data.model_dump().items())


@render.register
def _run(run: RunSummary) -> str:
    lines = [
        f"run {run.run_id} · {run.status} · {run.trigger_type} · stage {run.current_stage}/7",
        f"started {_time(run.started_at)} · duration {duration(run.duration_seconds)}"
        f" · credits {run.total_credits_used:,g} · items {run.items_processed:,}",
    ]
    if run.control_request:
        lines.append(f"{run.control_request} requested; takes effect after the current item")
    if run.status == "paused" and run.paused_at is not None:
        since = f"paused since {_time(run.paused_at)}"
        lines.append(f"{since}: {run.pause_reason}" if run.pause_reason else since)
    if run.error_message:
        lines.append(f"error: {run.error_message}")
    host = host_sentence(run)
    if host and run.host_state == "hosted":
        host += f" · last heartbeat {_time(run.heartbeat_at)}"
    if host:
        lines.append(host)
    return "\n".join(lines)


@render.register
def _started(started: RunNowResult) -> str:
    return (
        f"run {started.run_id} created · estimate {started.estimated_credits:,g} credits"
        f" · balance {started.balance:,g}; a daemon or dashboard will execute it"
    )


@render.register
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


@render.register
def _status(data: StatusReport) -> str:
    if data.run is None:
        return "no runs yet"
    return _run(data.run) + ("\n" + _progress(data.progress) if data.progress else "")


@render.register
def _overview(data: PipelineOverview) -> str:
    rows = [(s.number, s.name, s.pending, "skipped" if s.skip else "") for s in data.stages]
    return table(("#", "stage", "pending", ""), rows)


@render.register
def _processing(data: CurrentProcessing) -> str:
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


@render.register
def _estimate(data: Estimate) -> str:
    rows = [(s.number, s.name, f"{s.items:,}", f"{s.credits:,g}") for s in data.stages]
    verdict = "enough" if data.sufficient else "NOT enough"
    return (
        table(("#", "stage", "items", "credits"), rows)
        + f"\ntotal {data.total_credits:,g} × {data.buffer_multiplier} = "
        f"{data.required_credits:,g} needed · balance {data.balance:,g} ({verdict};"
        f" based on {data.basis})"
    )


@render.register
def _history(data: HistoryReport) -> str:
    rows = [
        (
            r.run_id,
            r.trigger_type,
            r.status,
            _time(r.started_at),
            duration(r.duration_seconds),
            f"{r.total_credits_used:,g}",
            f"{r.items_processed:,}",
        )
        for r in data.runs
    ]
    text = table(("run", "trigger", "status", "started", "duration", "credits", "items"), rows)
    if data.not_started:
        text += "\n\n" + "\n".join(f"{_time(n.created_at)} {n.message}" for n in data.not_started)
    return text


@render.register
def _hosts(hosts: HostList) -> str:
    if not hosts.root:
        return "no host holds a run, and none was seen in the last 24 hours"
    rows = []
    for host in hosts.root:
        held = ", ".join(f"run {lease.run_id} · {lease.site_name}" for lease in host.leases)
        tokens = ", ".join(str(lease.token) for lease in host.leases)
        last_token = "" if host.last_token is None else str(host.last_token)
        seen = (
            "—" if host.seconds_since_seen is None else f"{duration(host.seconds_since_seen)} ago"
        )
        rows.append(
            (
                host.name,
                host_process(host),
                host.state,
                held or last_claim(host),
                tokens or last_token,
                seen,
            )
        )
    text = table(("host", "process", "state", "runs held", "token", "heartbeat"), rows)
    stuck = [
        f"run {lease.run_id} ({lease.site_name}) is stuck: {lease.recovery}"
        for host in hosts.root
        for lease in host.stuck
    ]
    return "\n\n".join([text, "\n".join(stuck)]) if stuck else text


@render.register
def _log(entry: LogEntry) -> str:
    stage = f"s{entry.stage}" if entry.stage else "  "
    return f"{_time(entry.created_at)} {entry.level:<5} {stage} {entry.message}"


@render.register
def _logs(lines: LogLines) -> str:
    return "\n".join(_log(e) for e in lines.root) or "(no log lines)"


@render.register
def _config(data: ConfigView) -> str:
    values = data.model_dump()
    lines = [f"{k} = {v}" for k, v in values.items() if k not in ("ai", "notify_urls")]
    lines.append(f"notify_urls = {', '.join(values['notify_urls']) or '(none)'}")
    lines += [f"ai.{k} = {v}" for k, v in values["ai"].items() if v is not None]
    return "\n".join(lines)


@render.register
def _notify_test(data: NotifyTestReport) -> str:
    return "\n".join(
        f"{d.url}: OK" if d.ok else f"{d.url}: FAILED · {d.error}" for d in data.deliveries
    )


@render.register
def _ai_check(data: CheckResult) -> str:
    if not data.ok:
        return f"AI provider {data.provider} at {data.base_url}: NOT OK · {data.error}"
    return (
        f"AI provider {data.provider} at {data.base_url}: OK · model {data.model}"
        f" · {data.latency_ms:.0f} ms"
    )


@render.register
def _prompts(data: PromptsReport) -> str:
    rows = [(t.name, t.source, ", ".join(t.fields)) for t in data.templates]
    return f"overrides go in {data.directory}/NAME.txt\n" + table(
        ("template", "source", "fields"), rows
    )


@render.register
def _credits(report: CreditsReport) -> str:
    return f"balance {report.balance:,g} credits (ledger {report.ledger_sum:,g})"


@render.register
def _import(report: ImportReport) -> str:
    return f"{report.site}: {report.rows} rows · {report.added} added · {report.merged} merged"


def _records(items: Sequence[BaseModel], keys: Sequence[str]) -> str:
    if not items:
        return "(none)"
    return table(keys, [[getattr(i, k) for k in keys] for i in items])


@render.register
def _sites(sites: SiteList) -> str:
    return _records(sites.root, ("id", "name", "domain", "keywords"))


@render.register
def _keywords(keywords: KeywordList) -> str:
    return _records(
        keywords.root, ("keyword", "volume", "difficulty", "intent", "status", "cluster")
    )


@render.register
def _clusters(clusters: ClusterList) -> str:
    return _records(clusters.root, ("id", "name", "keywords", "status"))


@render.register
def _content(content: ContentList) -> str:
    rows = [
        (
            c.id if c.kind == "article" else f"task {c.id}",
            c.title,
            c.cluster,
            c.status,
            c.words,
            f"{c.images_made}/{c.images_expected}",
            c.location,
        )
        for c in content.root
    ]
    if not rows:
        return "(none)"
    return table(("id", "title", "cluster", "status", "words", "images", "location"), rows)


_NO_REVISION = {"empty": "none (an empty database)", "legacy": "none (made before migrations)"}


@render.register
def _db_current(data: SchemaReport) -> str:
    current = data.current or _NO_REVISION.get(data.state, "none")
    return f"database: {data.database}\ncurrent: {current}\nhead: {data.head}\nstate: {data.state}"


@render.register
def _db_upgrade(data: SchemaUpgrade) -> str:
    if data.from_state == "current":
        return f"{data.database} is already at schema revision {data.to_revision} (the head)"
    if data.from_state == "empty":
        return f"created {data.database} at schema revision {data.to_revision}"
    start = data.from_revision or _NO_REVISION["legacy"]
    backup = f"\nbackup: {data.backup}" if data.backup else ""
    return f"upgraded {data.database}: schema revision {start} → {data.to_revision}{backup}"


@render.register
def _publish_target(info: PublishTargetInfo) -> str:
    if info.kind == "folder":
        return f"site {info.site_name}: publishes to the folder {info.folder}"
    if info.kind == "webhook":
        secret = "secret stored" if info.password_stored else "NO secret stored"
        return (
            f"site {info.site_name}: publishes each article as a signed content.published event"
            f" to {info.url} ({secret})"
        )
    extras = [f"status {info.status}"]
    if info.drip_minutes:
        extras.append(f"drip every {info.drip_minutes} min")
    extras.append("category from cluster" if info.category_from_cluster else "no category")
    extras.append("tags from keywords" if info.tags_from_keywords else "no tags")
    password = "password stored" if info.password_stored else "NO password stored"
    return (
        f"site {info.site_name}: publishes to WordPress at {info.url} as {info.user}"
        f" ({password})\n" + " · ".join(extras)
    )


@render.register
def _publish_check(check: PublishCheck) -> str:
    return f"OK · {check.where}: {check.detail}"


@render.register
def _retry(report: RetryReport) -> str:
    if not report.retried:
        scope = f" at stage {report.stage}" if report.stage else ""
        item = f" for item {report.item_id}" if report.item_id else ""
        return f"nothing failed{scope}{item}: nothing to retry"
    lines = [f"retried {len(report.retried)} (the next run, or the active one, takes them):"]
    lines += [f"  stage {f.stage} · {f.what} · it failed: {f.reason}" for f in report.retried]
    return "\n".join(lines)


@render.register
def _article(article: ArticleDetail) -> str:
    lines = [
        f"article {article.id}: {article.title}",
        f"status: {article.status} · {article.words:,} words · cluster: {article.cluster or '—'}",
        f"slug: {article.slug}",
        f"keywords: {', '.join(article.keywords) or '—'}",
        f"meta title: {article.meta_title}",
        f"meta description: {article.meta_description}",
        f"location: {article.location or '— (not published)'}",
        f"published: {_time(article.published_at)}",
        f"images ({len(article.images)}):",
    ]
    for image in article.images:
        where = image.remote_url or image.file_path or "—"
        lines.append(f"  {image.position} {image.kind} · {image.status} · {where}")
        lines.append(f"    prompt: {image.prompt}")
        if image.error:
            lines.append(f"    error: {image.error}")
    lines.append(f"failures ({len(article.failures)}):" if article.failures else "failures: none")
    lines += [f"  stage {f.stage} · {f.what}: {f.reason}" for f in article.failures]
    return "\n".join(lines)


def _webhook_row(hook: WebhookInfo) -> tuple[object, ...]:
    state = "on" if hook.enabled else f"off: {hook.disabled_reason}"
    return (hook.id, hook.url, hook.site or "every site", ",".join(hook.events) or "all", state)


@render.register
def _webhooks(hooks: WebhookList) -> str:
    if not hooks.root:
        return "no webhooks: add one with `igny8 webhook add URL`"
    return table(("id", "url", "site", "events", "state"), [_webhook_row(h) for h in hooks.root])


@render.register
def _webhook(hook: WebhookInfo) -> str:
    return table(("id", "url", "site", "events", "state"), [_webhook_row(hook)])


@render.register
def _webhook_added(added: WebhookAdded) -> str:
    return (
        f"{_webhook(added.webhook)}\n\nsecret (shown this once; verify signatures with it):\n"
        f"{added.secret}"
    )


def _delivery_row(d: DeliveryView) -> tuple[object, ...]:
    last = d.last_error or (f"HTTP {d.last_status_code}" if d.last_status_code else "")
    next_try = f"next {_time(d.next_attempt_at)}" if d.next_attempt_at and d.attempts else ""
    return (
        d.id,
        d.type,
        d.site or "",
        d.destination,
        d.status,
        d.attempts,
        " · ".join(part for part in (last, next_try) if part),
        d.event_id,
    )


@render.register
def _deliveries(deliveries: DeliveryList) -> str:
    if not deliveries.root:
        return "no events yet"
    headers = ("id", "event", "site", "to", "status", "attempts", "last", "webhook-id")
    return table(headers, [_delivery_row(d) for d in deliveries.root])


@render.register
def _delivery(delivery: DeliveryView) -> str:
    headers = ("id", "event", "site", "to", "status", "attempts", "last", "webhook-id")
    return table(headers, [_delivery_row(delivery)])


@render.register
def _publish_webhook_set(done: PublishWebhookSet) -> str:
    return (
        f"{_publish_target(done.target)}\n\nsecret (shown this once; verify signatures with it):"
        f"\n{done.secret}"
    )
