"""The HTTP service: `create_app(model_dir, settings)` → a FastAPI app (`relik-ml serve` runs it with uvicorn).

`POST /annotate` answers the records of `relik-ml annotate` (`relik_ml.inference.output.to_json`):
one object for `{"text": ...}`, a list for `{"texts": [...]}`; `"top_k"` and given `"mentions"` as
in `Relik.__call__` (`requests`). `GET /health`: the process answers;
`GET /ready`: a model is loaded (503 until then), with the model's identity and the batching counts.
`POST /gerbil`: GERBIL's NIF endpoint (`relik_ml.serving.gerbil`). `/openapi.json`: the schema.

Requests reach the model through `app.state.runner` (`Runner.annotate`): the micro-batcher
(`batching`) and the current model of the watched directory (`reload`). Errors are JSON
`{"detail": MESSAGE, "field": FIELD}`: 413 a body over `max_body_bytes`, 422 a bad request (the
command line's wording, the field named: `texts[2]`, `top_k`), including an `InputError` of the
model, 503 no model loaded yet, 504 a request not answered within `timeout_s`.
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from relik_ml.errors import InputError
from relik_ml.inference import Relik, to_json
from relik_ml.serving.batching import Mentions, MicroBatcher
from relik_ml.serving.gerbil import build_router
from relik_ml.serving.reload import ModelWatcher
from relik_ml.serving.requests import annotate_schema, check_text, parse_annotate
from relik_ml.serving.settings import ServeSettings
from relik_ml.types import Prediction


class NotReady(Exception):
    """No model is loaded yet (503)."""


class RequestTimeout(Exception):
    """A request was not answered within `timeout_s` (504)."""


class BodyTooLarge(Exception):
    """A request body over `max_body_bytes` (413)."""


class Runner:
    """Annotation through the micro-batcher and the current (reloadable) model; lives on `app.state.runner`."""

    def __init__(self, watcher: ModelWatcher, settings: ServeSettings) -> None:
        self.watcher = watcher
        self.settings = settings
        self.batcher = MicroBatcher(self._read, max_batch=settings.max_batch, max_wait_ms=settings.max_wait_ms)

    @property
    def ready(self) -> bool:
        return self.watcher.current is not None

    @property
    def relation_titles(self) -> dict[str, str] | None:
        """Relation id -> label of the current model (RE / cIE), for the records' `relation_title`."""
        current = self.watcher.current
        return current.relation_titles if current is not None else None

    async def annotate(self, texts: list[str], *, top_k: int | None = None, mentions: Mentions | None = None
                       ) -> list[Prediction]:
        """Predictions of `texts` (ids "0", "1", …), read in a batch with other requests; with
        `mentions` ((start, end) pairs per text) only those spans are linked.

        Raises `InputError` (a text that is not a string, too long, a lone surrogate, a bad `top_k`;
        the model's own refusals), `NotReady` before a model is loaded, `RequestTimeout` after `timeout_s`.
        """
        if len(texts) > self.settings.max_texts:
            raise InputError(f"at most {self.settings.max_texts} texts per request, got {len(texts)}", field="texts")
        texts = [check_text(t, f"texts[{i}]", self.settings.max_text_chars) for i, t in enumerate(texts)]
        if not self.ready:
            raise NotReady()
        try:
            return await asyncio.wait_for(self.batcher.submit(texts, top_k, mentions), self.settings.timeout_s)
        except TimeoutError:
            raise RequestTimeout() from None

    def _read(self, texts: list[str], top_k: int | None, mentions: Mentions | None) -> list[Prediction]:
        """One model call (on the batcher's thread) with the model current when the batch starts."""
        loaded = self.watcher.current
        if loaded is None:
            raise NotReady()
        return loaded.relik(texts, top_k=top_k, mentions=mentions)


def load_model(directory: Path, threads: int | None) -> Relik:
    return Relik.from_pretrained(directory, threads=threads)


def create_app(model_dir: str | Path, settings: ServeSettings, *, relik: Relik | None = None) -> FastAPI:
    """The service of `model_dir`; `relik`, when given, is that directory already loaded (else it is
    loaded at startup, before the first request is answered)."""
    watcher = ModelWatcher(model_dir, lambda directory: load_model(directory, settings.threads),
                           poll_s=settings.reload_poll_s)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runner = app.state.runner
        runner.batcher.start()
        if relik is not None:
            watcher.adopt(relik)
        else:
            await asyncio.to_thread(watcher.load_now)
        watching = asyncio.get_running_loop().create_task(watcher.watch()) if settings.reload_poll_s > 0 else None
        try:
            yield
        finally:
            if watching is not None:
                watching.cancel()
                await asyncio.gather(watching, return_exceptions=True)
            await runner.batcher.stop()

    app = FastAPI(title="relik-ml", summary="Entity linking and relation extraction with a ReLiK model directory",
                  lifespan=lifespan)
    app.state.runner = Runner(watcher, settings)
    app.state.settings = settings
    _add_error_handlers(app)

    @app.get("/health", summary="the process answers")
    async def health() -> dict:
        return {"status": "ok"}

    @app.get("/ready", summary="a model is loaded (503 until then)",
             responses={503: {"description": "no model loaded yet"}})
    async def ready() -> JSONResponse:
        current = watcher.current
        state = {
            "ready": current is not None,
            "model": str(watcher.directory),
            "identity": current.identity if current else None,
            "loaded_at": current.loaded_at if current else None,
            "reloads": watcher.reloads,
            "reload_error": watcher.last_error,
            "batches": app.state.runner.batcher.batches,
            "batched_texts": app.state.runner.batcher.batched_texts,
        }
        return JSONResponse(state, status_code=200 if current is not None else 503)

    @app.post(
        "/annotate",
        summary="annotate one text or a list of texts (the records of `relik-ml annotate`)",
        openapi_extra={"requestBody": {"required": True, "content": {
            "application/json": {"schema": annotate_schema(max_texts=settings.max_texts,
                                                          max_text_chars=settings.max_text_chars)}}}},
        responses={413: {"description": "body too large"}, 422: {"description": "bad request, the field named"},
                   503: {"description": "no model loaded yet"}, 504: {"description": "not answered in time"}},
    )
    async def annotate(request: Request) -> JSONResponse:
        body = await _read_body(request, settings.max_body_bytes)
        parsed = parse_annotate(body, max_texts=settings.max_texts, max_text_chars=settings.max_text_chars)
        runner: Runner = app.state.runner
        predictions = await runner.annotate(parsed.texts, top_k=parsed.top_k, mentions=parsed.mentions)
        titles = runner.relation_titles
        records = [to_json(p, relation_titles=titles) for p in predictions]
        return JSONResponse(records[0] if parsed.single else records)

    app.include_router(build_router(lambda: app.state.runner,
                                    read_body=lambda request: _read_body(request, settings.max_body_bytes)))
    return app


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused (413) as soon as it exceeds `limit` bytes, before it is all read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"the body has {int(declared)} bytes, at most {limit} are accepted")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"the body has more than {limit} bytes, at most {limit} are accepted")
        chunks.append(chunk)
    return b"".join(chunks)


def _add_error_handlers(app: FastAPI) -> None:
    def error(status: int, detail: str, field: str | None) -> JSONResponse:
        return JSONResponse({"detail": detail, "field": field}, status_code=status)

    @app.exception_handler(InputError)
    async def bad_input(request: Request, exc: InputError) -> JSONResponse:
        return error(422, str(exc), exc.field)

    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, exc: BodyTooLarge) -> JSONResponse:
        return error(413, str(exc), "body")

    @app.exception_handler(NotReady)
    async def not_ready(request: Request, exc: NotReady) -> JSONResponse:
        return error(503, "no model is loaded yet: retry when GET /ready answers 200", None)

    @app.exception_handler(RequestTimeout)
    async def timed_out(request: Request, exc: RequestTimeout) -> JSONResponse:
        return error(504, f"not answered within {app.state.settings.timeout_s:g} s (timeout_s): the service is "
                          "overloaded or the texts are too long", None)
