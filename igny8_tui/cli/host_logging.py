"""Log lines for long-lived hosts on stderr: plain with UTC timestamps, or JSON per line."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime

from igny8_tui.schemas import LogEvent

LOGGER_NAME = "igny8"
_LEVELS = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARN": logging.WARNING}


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = f"{_timestamp(record)} {record.levelname:<7} {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        document = {"ts": _timestamp(record), "level": record.levelname, "msg": record.getMessage()}
        for key in ("site_id", "run_id", "stage"):
            if hasattr(record, key):
                document[key] = getattr(record, key)
        if record.exc_info:
            document["exc"] = self.formatException(record.exc_info)
        return json.dumps(document)


def host_logger(json_lines: bool) -> logging.Logger:
    logger = logging.getLogger(LOGGER_NAME)
    logger.handlers.clear()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else PlainFormatter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


def activity_to(logger: logging.Logger) -> Callable[[LogEvent], None]:
    """An activity-log listener that repeats each row on the host's log."""

    def listener(row: LogEvent) -> None:
        stage = f" s{row.stage}" if row.stage else ""
        logger.log(
            _LEVELS.get(row.level, logging.ERROR),
            "site %s run %s%s: %s",
            row.site_id,
            row.run_id,
            stage,
            row.message,
            extra={"site_id": row.site_id, "run_id": row.run_id, "stage": row.stage},
        )

    return listener
