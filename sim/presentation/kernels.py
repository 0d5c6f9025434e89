"""Waiting for a notebook cell's reply in short slices: the one workaround for a race in
nbclient, used by the lesson tests (tests/notebook_kernel.py) and by the classroom page
(Voila runs lessons with an nbclient client; lessons/.jupyter/voila.py applies it).

Needs nbclient (a dev dependency, with JupyterLab and Voila); nothing else in the package
imports this module.

The race (seen with nbclient 0.11, jupyter_client 8.10, pyzmq 27)
-----------------------------------------------------------------
nbclient emulates the ``ipywidgets.Output`` widget: every output captured into one makes
it call ``sync_state()``, which *sends* a comm message on the shell channel while the
client is *awaiting* the cell's execute reply on that same channel.
``jupyter_client.Session.send`` sends through a plain (non-asyncio) copy of the asyncio
socket, which skips pyzmq's wake-up of the receive already pending on it. The kernel's
reply, sent on time, then sits unread until the per-cell timeout fires (minutes). How
often depends on timing: of 150 cells each showing a value in an Output widget, 5 to 15
stalled so here, more on a busy machine. JupyterLab does not stall (its client is a
browser), so the lessons are fine; the harness polls the shell channel in short slices
instead of one long wait, and every slice looks at the socket afresh.
"""

from __future__ import annotations

import asyncio
import time
from queue import Empty

from jupyter_core.utils import ensure_async
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError

SLICE_SECONDS = 0.2
"""How long one wait on the shell channel lasts before the socket is polled again: short
against a cell's run time (a missed reply costs at most this), long enough to cost no CPU."""


class PollingNotebookClient(NotebookClient):
    """An nbclient ``NotebookClient`` that waits for each execute reply in short slices.

    Only the wait for the cell's reply on the shell channel differs from nbclient's own
    ``_async_poll_for_reply``: see the module's docstring for the race it avoids. The
    per-cell ``timeout`` still holds: past it the cell fails with ``CellTimeoutError``.
    """

    async def _async_poll_for_reply(self, msg_id, cell, timeout, task_poll_output_msg,
                                    task_poll_kernel_alive):
        assert self.kc is not None
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=SLICE_SECONDS))
            except Empty:
                if deadline is None or time.monotonic() < deadline:
                    continue
                task_poll_kernel_alive.cancel()
                await self._async_check_alive()
                reply = await self._async_handle_timeout(timeout, cell)  # raises by default
                if reply is None:
                    deadline = None
                    continue
                msg = {**reply, "parent_header": {"msg_id": msg_id}}
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if self.record_timing:
                cell["metadata"]["execution"]["shell.execute_reply"] = msg["header"]["date"]
            try:  # the outputs of the cell follow on the iopub channel
                await asyncio.wait_for(task_poll_output_msg, self.iopub_timeout)
            except (TimeoutError, Empty):
                if self.raise_on_iopub_timeout:
                    task_poll_kernel_alive.cancel()
                    raise CellTimeoutError.error_from_timeout_and_cell(
                        "Timeout waiting for IOPub output", self.iopub_timeout, cell) from None
                self.log.warning("Timeout waiting for IOPub output")
            task_poll_kernel_alive.cancel()
            return msg
