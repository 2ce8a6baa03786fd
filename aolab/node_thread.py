"""The node's thread: where a served node does its work, one job at a time.

The HTTP server's event loop reads requests and writes answers; the node's
work runs on one thread of its own (:class:`NodeThread`), so that a request's
time limit can be kept while the node stays consistent: a job runs to its end
even when its caller stopped waiting.  A :class:`Job` is waited for on a lock
(a few milliseconds, blocking the loop: the common small request) or on the
event loop (a longer one).
"""
from __future__ import annotations

import queue
import threading


class NodeThread:
    """The one thread that does a served node's work, a job at a time in arrival order.

    :meth:`submit` hands a job over and gives it back as a :class:`Job` to wait
    for: one hand-over each way (a queue, a lock), no executor machinery (which
    costs more than a small request's own work).  A job runs to its end even
    when its caller has stopped waiting (the node stays consistent).
    """

    def __init__(self):
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="aolab-node", daemon=True)
        self._thread.start()

    def submit(self, function, *args) -> "Job":
        """Queue ``function(*args)`` for the node's thread."""
        job = Job(function, args)
        self._jobs.put(job)
        return job

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            job.run()

    def shutdown(self, wait: bool = True) -> None:
        """Stop once the jobs already submitted are done."""
        self._jobs.put(None)
        if wait:
            self._thread.join()


class Job:
    """One job for the node's thread, waited for on a lock (:meth:`wait`) or on
    an event loop (:meth:`ended_on`)."""

    __slots__ = ("function", "args", "failed", "value", "_done", "_guard", "_waiter")

    def __init__(self, function, args):
        self.function, self.args, self.failed, self.value = function, args, False, None
        self._done = threading.Lock()  # released when the job has ended
        self._done.acquire()
        self._guard = threading.Lock()  # orders the end and an event loop's wait
        self._waiter = None  # (loop, future) waiting; False once the job has ended

    def run(self) -> None:
        """Run it (on the node's thread), then wake whoever waits."""
        try:
            self.value = self.function(*self.args)
        except BaseException as exc:  # handed to the request that asked for it
            self.failed, self.value = True, exc
        with self._guard:
            self._done.release()
            waiter, self._waiter = self._waiter, False
        if waiter:
            loop, future = waiter
            try:
                loop.call_soon_threadsafe(_settle, future)
            except RuntimeError:
                pass  # the loop is closed: the server stopped meanwhile

    def wait(self, seconds: float) -> bool:
        """Whether the job ends within *seconds* (blocking this thread)."""
        if seconds >= threading.TIMEOUT_MAX:
            return self._done.acquire()
        return self._done.acquire(timeout=max(seconds, 0.0))

    def ended_on(self, loop):
        """A future of *loop* settled when the job ends; None when it has ended."""
        with self._guard:
            if self._waiter is False:
                return None
            future = loop.create_future()
            self._waiter = (loop, future)
            return future

    def result(self):
        """What the function returned (or raise what it raised); once it has ended."""
        if self.failed:
            raise self.value
        return self.value


def _settle(future) -> None:
    if not future.done():  # not given up on (a 503)
        future.set_result(None)
