"""The web server of `igny8 serve`: textual-serve's, on a socket bound beforehand, with a
dashboard process per browser tab that is always ended: when its tab closes or the server stops,
it is asked to quit, then killed if it has not within SERVE_TAB_QUIT_TIMEOUT_S.

textual-serve 1.1's own websocket handler keeps a tab open until its browser leaves, so stopping
the server with tabs open waits for aiohttp's shutdown timeout (60 s), and a tab's process that
does not quit is never killed; it also binds its socket only after printing its banner. This
subclass replaces those parts and keeps the rest (the page, the static files, the messages
between browser and process)."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket

from aiohttp import WSCloseCode, web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from igny8_tui.cli.host_logging import LOGGER_NAME
from igny8_tui.constants import SERVE_HEARTBEAT_S, SERVE_TAB_QUIT_TIMEOUT_S

# Lines on the command's log (host_logging.host_logger), and the libraries' loggers whose
# warnings and errors go there too.
log = logging.getLogger(f"{LOGGER_NAME}.serve")
_LIBRARY_LOGGERS = ("textual-serve", "aiohttp")
# aiohttp waits this long for the handlers when stopping; they end sooner, their tabs quit or
# killed.
_SHUTDOWN_TIMEOUT_S = SERVE_TAB_QUIT_TIMEOUT_S + 2.0


class Tab(AppService):
    """One browser tab's dashboard process."""

    async def stop(self) -> None:
        """Ask the dashboard to quit and wait for its process to end; kill it if it has not
        in time. Whatever happens, the process is gone (and reaped) when this returns."""
        try:
            await asyncio.wait_for(self._quit(), SERVE_TAB_QUIT_TIMEOUT_S)
        except TimeoutError:
            log.warning(
                "a tab's dashboard did not quit within %gs: killed", SERVE_TAB_QUIT_TIMEOUT_S
            )
        finally:
            process = self._process
            if process is not None and process.returncode is None:
                process.kill()
                await process.wait()

    async def _quit(self) -> None:
        await super().stop()
        if self._process is not None:
            await self._process.wait()


class DashboardServer(Server):
    """Serves `command` (one watch-only dashboard per tab) on an already listening socket."""

    def __init__(self, command: str, listening: socket.socket, public_url: str) -> None:
        host, port = listening.getsockname()[:2]
        super().__init__(command, host=host, port=port, title="igny8", public_url=public_url)
        self.listening = listening
        self.websockets: set[web.WebSocketResponse] = set()
        self.stopping = False

    def initialize_logging(self) -> None:
        """The libraries' warnings and errors on the command's log; their info lines (one per
        request, a banner) are left out."""
        for name in _LIBRARY_LOGGERS:
            library = logging.getLogger(name)
            library.handlers = list(logging.getLogger(LOGGER_NAME).handlers)
            library.setLevel(logging.WARNING)
            library.propagate = False

    def serve(self, debug: bool = False) -> None:
        """Serve until SIGINT or SIGTERM, then close every tab and return."""
        self.debug = debug
        self.initialize_logging()
        loop = asyncio.new_event_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self._on_signal, signum)
        web.run_app(
            self._make_app(),
            sock=self.listening,
            shutdown_timeout=_SHUTDOWN_TIMEOUT_S,
            handle_signals=False,
            loop=loop,
            print=None,
            access_log=None,
        )

    def _on_signal(self, signum: int) -> None:
        if self.stopping:
            log.info("signal %s: already stopping", signum)
            return
        self.stopping = True
        log.info("signal %s: closing %d tab(s), then exiting", signum, len(self.websockets))
        self.request_exit()

    async def on_startup(self, app: web.Application) -> None:
        """No banner: the command has said where it serves."""

    async def on_shutdown(self, app: web.Application) -> None:
        """Close every tab's websocket: each handler then ends its tab's process."""
        await asyncio.gather(
            *(
                websocket.close(code=WSCloseCode.GOING_AWAY, message=b"igny8 serve is stopping")
                for websocket in list(self.websockets)
            )
        )

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One browser tab: a dashboard process for as long as its websocket is open."""
        websocket = web.WebSocketResponse(heartbeat=SERVE_HEARTBEAT_S)
        await websocket.prepare(request)

        async def close() -> None:  # the dashboard has quit
            await websocket.close()

        tab = Tab(
            self.command,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=close,
            download_manager=self.download_manager,
            debug=self.debug,
        )
        self.websockets.add(websocket)
        try:
            width = to_int(request.query.get("width", "80"), 80)
            height = to_int(request.query.get("height", "24"), 24)
            await tab.start(width, height)
            await self._process_messages(websocket, tab)
        finally:
            self.websockets.discard(websocket)
            await tab.stop()
            await websocket.close()
        return websocket
