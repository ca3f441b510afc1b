"""Write the JSON Schema of each event igny8 sends into igny8_tui/data/event_schemas/, from the
pydantic models of igny8_tui/event_payloads.py. Run it after changing a model: a unit test
fails while the shipped files and the models disagree."""

from __future__ import annotations

from igny8_tui.event_payloads import SCHEMA_DIR, event_schema_files


def main() -> None:
    SCHEMA_DIR.mkdir(parents=True, exist_ok=True)
    files = event_schema_files()
    for stale in SCHEMA_DIR.glob("*.json"):
        if stale.name not in files:
            stale.unlink()
    for name, text in files.items():
        path = SCHEMA_DIR / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
