"""Micro-batching: concurrent requests read together in one model call.

Each request's texts wait in a queue; a worker task takes the oldest request, lets others join for
up to `max_wait_ms` after it arrived (or until `max_batch` texts are queued), and reads the texts of
the requests that share its `top_k` in one call of `read` on a single worker thread (one model call
at a time, so the event loop keeps accepting requests while the model reads). Each request gets its
own predictions back, numbered "0", "1", … as in a call of its own. Requests with given mentions
(entity disambiguation) are read in calls of their own kind. Requests that arrived while the
model was reading form the next batch at once, so the batch grows with the load.

When a call fails on a batch of several requests, each request is read alone, so an error (an
`InputError` for one bad text) reaches only the request that caused it.
"""
from __future__ import annotations

import asyncio
import dataclasses
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from relik_ml.types import Prediction

Mentions = list[list[tuple[int, int]]]
ReadBatch = Callable[[list[str], "int | None", "Mentions | None"], Sequence[Prediction]]


@dataclasses.dataclass
class _Request:
    texts: list[str]
    top_k: int | None
    mentions: Mentions | None
    arrived: float
    answer: asyncio.Future

    @property
    def kind(self) -> tuple[int | None, bool]:
        """Requests of one kind share a call: the same `top_k`, mentions given or not."""
        return self.top_k, self.mentions is not None


class MicroBatcher:
    """Gathers `submit` calls into batched calls of `read(texts, top_k, mentions)`; start it inside the event loop."""

    def __init__(self, read: ReadBatch, *, max_batch: int, max_wait_ms: float) -> None:
        self.read = read
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000
        self.batches = 0  # model calls made (a request read alone after a failed batch counts too)
        self.batched_texts = 0
        self._pending: deque[_Request] = deque()
        self._arrived = asyncio.Event()
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relik-batch")
        self._worker: asyncio.Task | None = None

    def start(self) -> None:
        self._worker = asyncio.get_running_loop().create_task(self._work(), name="relik-micro-batcher")

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
        for request in self._pending:
            request.answer.cancel()
        self._thread.shutdown(wait=True)

    async def submit(self, texts: list[str], top_k: int | None = None, mentions: Mentions | None = None
                     ) -> list[Prediction]:
        """The predictions of `texts` (with given `mentions` per text, if any), read in a batch with
        whatever other requests of the same kind are queued."""
        if not texts:
            return []
        loop = asyncio.get_running_loop()
        request = _Request(list(texts), top_k, mentions, loop.time(), loop.create_future())
        self._pending.append(request)
        self._arrived.set()
        return await request.answer

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            while not self._pending:
                self._arrived.clear()
                await self._arrived.wait()
            deadline = self._pending[0].arrived + self.max_wait
            while self._queued_texts() < self.max_batch and loop.time() < deadline:
                self._arrived.clear()
                try:
                    async with asyncio.timeout(deadline - loop.time()):
                        await self._arrived.wait()
                except TimeoutError:
                    break
            batch = self._take_batch()
            if batch:
                await self._answer(batch)

    def _queued_texts(self) -> int:
        return sum(len(r.texts) for r in self._pending)

    def _take_batch(self) -> list[_Request]:
        """The oldest live request and the later ones of its kind (`top_k`, mentions given or not), up
        to `max_batch` texts (at least one request, however long); abandoned requests (timed out) are dropped."""
        kind = self._pending[0].kind
        batch: list[_Request] = []
        kept: deque[_Request] = deque()
        size = 0
        while self._pending:
            request = self._pending.popleft()
            if request.answer.done():
                continue
            if request.kind == kind and (not batch or size + len(request.texts) <= self.max_batch):
                batch.append(request)
                size += len(request.texts)
            else:
                kept.append(request)
        self._pending.extendleft(reversed(kept))
        return batch

    async def _answer(self, batch: list[_Request]) -> None:
        try:
            mentions = [m for r in batch for m in r.mentions] if batch[0].mentions is not None else None
            results = await self._read([t for r in batch for t in r.texts], batch[0].top_k, mentions)
        except Exception as exc:  # handed to the requests: one alone gets it, several are retried alone
            if len(batch) == 1:
                _settle(batch[0], exception=exc)
                return
            for request in batch:
                if not request.answer.done():
                    await self._answer([request])
            return
        first = 0
        for request in batch:
            own = results[first : first + len(request.texts)]
            first += len(request.texts)
            _settle(request, result=[dataclasses.replace(p, id=str(i)) for i, p in enumerate(own)])

    async def _read(self, texts: list[str], top_k: int | None, mentions: Mentions | None) -> list[Prediction]:
        self.batches += 1
        self.batched_texts += len(texts)
        results = await asyncio.get_running_loop().run_in_executor(self._thread, self.read, texts, top_k, mentions)
        return list(results)


def _settle(request: _Request, *, result: list[Prediction] | None = None, exception: Exception | None = None) -> None:
    if request.answer.done():  # the request gave up (its timeout) while the model read
        return
    if exception is not None:
        request.answer.set_exception(exception)
    else:
        request.answer.set_result(result)
