"""A local SMSC for the SMS tests and the `alert-sms` benchmark: the SMPP 3.4 server of the
`smpp34` package on 127.0.0.1, run in a thread with its own event loop (or, with
`python -m torget.alerts.tests.smsc`, as a process of its own).

It accepts `submit_sm` and answers with a message id, sends a delivery receipt back as
`deliver_sm` when one was asked for, and can be told to throttle, to reject a destination with a
given command status, to hold a destination's `submit_sm` unanswered (a timeout), to send each
receipt twice, and to send an incoming SMS (MO) to the bound client.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import json
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import smpp34


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclasses.dataclass(frozen=True)
class Submitted:
    """One `submit_sm` as the SMSC received it."""

    message_id: str
    source_addr: str
    destination_addr: str
    esm_class: int
    data_coding: int
    registered_delivery: int
    short_message: bytes


def receipt_text(message_id: str, stat: str, err: str = "000") -> bytes:
    """The text of a delivery receipt in the format of SMPP 3.4 Appendix B."""
    now = time.strftime("%y%m%d%H%M")
    return (
        f"id:{message_id} sub:001 dlvrd:{'001' if stat == 'DELIVRD' else '000'} "
        f"submit date:{now} done date:{now} stat:{stat} err:{err} text:"
    ).encode()


_STATE = {"DELIVRD": 2, "EXPIRED": 3, "DELETED": 4, "UNDELIV": 5, "ACCEPTD": 6, "REJECTD": 8}


class LocalSmsc:
    """The SMSC. Configure it through its attributes (read by the server thread on each
    `submit_sm`), start it with `with LocalSmsc() as smsc:`."""

    def __init__(self, *, port: int = 0, receipts: bool = True) -> None:
        self.port = port or free_port()
        self.receipts = receipts
        # destination -> command status to reject it with
        self.reject: dict[str, int] = {}
        # destination -> receipt stat other than DELIVRD (e.g. UNDELIV)
        self.receipt_stat: dict[str, str] = {}
        # destinations whose submit_sm is never answered
        self.hold: set[str] = set()
        # answer this many next submit_sm with ESME_RTHROTTLED
        self.throttle = 0
        self.duplicate_receipts = False
        self.submitted: list[Submitted] = []
        self.receipts_sent = 0
        self.accepted = 0
        self.binds = 0
        self._held: list[Any] = []
        self._sessions: dict[str, Any] = {}
        self._next_id = 0
        self._changed = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._server: Any = None
        self._failure: BaseException | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._main: asyncio.Task[None] | None = None

    # --- running --------------------------------------------------------------------------

    def __enter__(self) -> LocalSmsc:
        self._thread = threading.Thread(target=self._run, name="local-smsc", daemon=True)
        self._thread.start()
        if not self._ready.wait(10) or self._failure is not None:
            raise RuntimeError(f"the local SMSC did not start: {self._failure!r}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._server is not None:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self._server.stop(), self._loop).result(10)
            # The server's next() may wait on: end the serving task itself.
            if self._main is not None:
                with contextlib.suppress(RuntimeError):
                    self._loop.call_soon_threadsafe(self._main.cancel)
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except asyncio.CancelledError:
            pass
        except BaseException as exc:  # noqa: BLE001 — reported to the test that started it
            self._failure = exc
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._main = asyncio.current_task()
        self._server = smpp34.Server("127.0.0.1", self.port, system_id="local-smsc")
        await self._server.start()
        self._ready.set()
        while True:
            try:
                event = await self._server.next()
            except Exception:  # noqa: BLE001 — the server was stopped
                return
            if event is None:
                return
            if isinstance(event, smpp34.Esme):
                self._sessions[event.session_id] = event
                self.binds += 1
                self._notify()
            elif isinstance(event, smpp34.Unbound):
                self._sessions.pop(event.session_id, None)
                self._notify()
            elif isinstance(event, smpp34.SubmitSmEvent):
                self._submit(event)

    def _submit(self, event: Any) -> None:
        destination = event.destination_addr
        if destination in self.hold:
            self._held.append(event)  # never answered: the client times out
            return
        if self.throttle > 0:
            self.throttle -= 1
            event.reject(smpp34.ESME_RTHROTTLED)
            return
        if destination in self.reject:
            event.reject(self.reject[destination])
            return
        self._next_id += 1
        message_id = f"{self._next_id:08x}"
        event.accept(message_id)
        self.accepted += 1
        self.submitted.append(
            Submitted(
                message_id=message_id,
                source_addr=event.source_addr,
                destination_addr=destination,
                esm_class=event.esm_class,
                data_coding=event.data_coding,
                registered_delivery=event.registered_delivery,
                short_message=bytes(event.short_message),
            )
        )
        self._notify()
        if self.receipts and event.registered_delivery & 0x01:
            stat = self.receipt_stat.get(destination, "DELIVRD")
            times = 2 if self.duplicate_receipts else 1
            self._spawn(self._send_receipt(event, message_id, stat, times))

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_receipt(self, event: Any, message_id: str, stat: str, times: int) -> None:
        esme = self._sessions.get(event.session_id)
        if esme is None:
            return
        err = "000" if stat == "DELIVRD" else "001"
        for _ in range(times):
            try:
                await self._deliver(esme, event, message_id, stat, err)
            except smpp34.SmppError:
                return  # the client went away (or did not answer): it is the test's to notice
            self.receipts_sent += 1
        self._notify()

    async def _deliver(self, esme: Any, event: Any, message_id: str, stat: str, err: str) -> None:
        await esme.deliver_sm(
            event.source_addr,
            receipt_text(message_id, stat, err),
            source_addr=event.destination_addr,
            source_addr_ton=1,
            esm_class=0x04,
            tlvs=[
                smpp34.Tlv(smpp34.TLV_RECEIPTED_MESSAGE_ID, message_id.encode() + b"\0"),
                smpp34.Tlv(smpp34.TLV_MESSAGE_STATE, bytes([_STATE.get(stat, 7)])),
            ],
        )

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    # --- for the test ---------------------------------------------------------------------

    def wait(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        """Block until `condition()` holds (polled on every change), or fail after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("the local SMSC did not reach the expected state")
                self._changed.wait(min(left, 0.05))

    def send_mo(
        self,
        *,
        source: str,
        destination: str,
        short_message: bytes,
        data_coding: int = 0,
        source_addr_ton: int = 1,
        esm_class: int = 0,
    ) -> concurrent.futures.Future[Any]:
        """Send an incoming SMS (from a resident) to the bound client. Returns at once (the
        client answers only when it reads it); the future holds the `deliver_sm_resp`."""
        assert self._loop is not None
        self.wait(lambda: bool(self._sessions))
        esme = next(iter(self._sessions.values()))

        async def deliver() -> Any:
            return await esme.deliver_sm(
                destination,
                short_message,
                source_addr=source,
                source_addr_ton=source_addr_ton,
                source_addr_npi=1,
                data_coding=data_coding,
                esm_class=esm_class,
            )

        return asyncio.run_coroutine_threadsafe(deliver(), self._loop)

    @property
    def sessions(self) -> int:
        return len(self._sessions)

    def unbind_all(self) -> concurrent.futures.Future[Any]:
        """End every bound session from the SMSC's side (unbind); returns at once."""
        assert self._loop is not None
        sessions = list(self._sessions.values())

        async def unbind() -> None:
            for esme in sessions:
                await esme.unbind()

        return asyncio.run_coroutine_threadsafe(unbind(), self._loop)


def main() -> None:
    """Run the SMSC as a process: `python -m torget.alerts.tests.smsc PORT`. Prints "ready",
    serves until SIGTERM or SIGINT, then prints what it counted as JSON."""
    port = int(sys.argv[1])
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    with LocalSmsc(port=port) as smsc:
        print("ready", flush=True)
        stopped.wait()
        counts = {"accepted": smsc.accepted, "receipts_sent": smsc.receipts_sent}
    print(json.dumps(counts), flush=True)


if __name__ == "__main__":
    main()
