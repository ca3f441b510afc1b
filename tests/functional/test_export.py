"""`igny8 export`: a site's content, keywords and runs as CSV or JSON, with formulas
neutralised in CSV, written whole or not at all."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from igny8_tui.runtime import Runtime
from tests.conftest import invoke_igny8, run_igny8
from tests.functional.test_retry import with_a_publish_failure

HOSTILE = ["=sum raised beds", "+1 seeds", "-2 soil", "@sum bed", "\tcompost tea"]


def test_export_neutralises_formulas_in_csv_and_writes_a_file_whole_or_not_at_all(
    runtime: Runtime, tmp_path: Path
) -> None:
    home = runtime.settings.home
    keywords = tmp_path / "hostile.csv"
    keywords.write_text("keyword\n" + "\n".join(f'"{k}"' for k in HOSTILE) + "\nplain bed\n")
    runtime.workspace.add_site("green-thumb")
    runtime.workspace.import_keywords("green-thumb", keywords)
    runtime.close()

    shown = run_igny8(home, "export", "--site", "green-thumb", "--what", "keywords")
    assert shown.returncode == 0, shown.stderr
    cells = {row["keyword"] for row in csv.DictReader(io.StringIO(shown.stdout))}
    assert {"'=sum raised beds", "'+1 seeds", "'-2 soil", "'@sum bed", "plain bed"} <= cells
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)

    target = home / "out" / "keywords.json"
    written = run_igny8(
        home,
        "export",
        "--site",
        "green-thumb",
        "--what",
        "keywords",
        "--format",
        "json",
        "-o",
        str(target),
    )
    assert written.returncode == 0 and written.stdout == "", written.stderr
    document = json.loads(target.read_text())
    assert {k["keyword"] for k in document} >= {"=sum raised beds", "plain bed"}

    failed = home / "out" / "runs.csv"
    refused = run_igny8(
        home,
        "export",
        "--site",
        "green-thumb",
        "--what",
        "runs",
        "-o",
        str(failed),
        IGNY8_FAULTS="export=ENOSPC",
    )
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"igny8: error: cannot write {failed}: No space left")
    assert not failed.exists() and list(failed.parent.iterdir()) == [target]


def test_content_and_runs_export_the_listing_models(runtime: Runtime) -> None:
    site_id, content_id = with_a_publish_failure(runtime)
    home = runtime.settings.home
    content = invoke_igny8(home, "export", "--site", "1", "--what", "content")
    rows = list(csv.DictReader(io.StringIO(content.stdout)))
    assert [int(r["id"]) for r in rows] == [c.id for c in runtime.workspace.content(site_id)]
    assert {r["status"] for r in rows} == {"published", "review"}
    assert all(r["cluster"] and r["images_expected"] == "5" for r in rows)
    runs = json.loads(
        invoke_igny8(home, "export", "--site", "1", "--what", "runs", "--format", "json").stdout
    )
    assert [r["status"] for r in runs] == ["completed", "completed"]
    assert content_id in {int(r["id"]) for r in rows if r["status"] == "review"}
