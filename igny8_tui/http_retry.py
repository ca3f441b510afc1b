"""Retries of HTTP calls with tenacity, shared by the AI client and the remote publish targets:
exponential backoff with jitter, or the server's own Retry-After when it sends one."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

T = TypeVar("T")
BACKOFF_BASE_S = 0.5
BACKOFF_MAX_S = 8.0
# A Retry-After longer than this is waited for this long only: a worker must not sleep for hours.
RETRY_AFTER_MAX_S = 60.0


class RetryableError(Exception):
    """A failure worth another attempt: 408/409/429/5xx, a timeout, a dropped connection."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


def retry_after_s(response: httpx.Response) -> float | None:
    """The response's Retry-After in seconds (the delay form), if it has one."""
    value = response.headers.get("retry-after")
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


def wait_s(state: RetryCallState) -> float:
    """Before the next attempt: the server's Retry-After, else min(0.5·2ⁿ, 8) s with jitter."""
    error = state.outcome.exception() if state.outcome else None
    if isinstance(error, RetryableError) and error.retry_after_s is not None:
        return min(error.retry_after_s, RETRY_AFTER_MAX_S)
    backoff = min(BACKOFF_BASE_S * 2.0 ** (state.attempt_number - 1), BACKOFF_MAX_S)
    return backoff * (0.5 + random.random() / 2)


def with_retries(attempts: int, call: Callable[..., T], *args: Any) -> T:
    """`call(*args)`, attempted up to `attempts` times while it raises RetryableError; the last
    RetryableError is raised when they are all used."""
    retrying = Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait_s,
        retry=retry_if_exception_type(RetryableError),
        reraise=True,
    )
    return retrying(call, *args)
