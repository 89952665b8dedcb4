"""The micro-batcher and the runner in-process, with the tiny model: batches, routing, errors, timeouts."""
from __future__ import annotations

import asyncio

import pytest

from relik_ml.errors import InputError
from relik_ml.serving.app import NotReady, RequestTimeout, Runner
from relik_ml.serving.batching import MicroBatcher
from relik_ml.serving.reload import ModelWatcher
from relik_ml.serving.settings import ServeSettings


def _calls(relik):
    calls: list[tuple[int, int | None]] = []

    def read(texts, top_k, mentions):
        calls.append((len(texts), top_k))
        return relik(texts, top_k=top_k, mentions=mentions)

    return calls, read


def test_concurrent_requests_share_calls_grouped_by_top_k(relik):
    calls, read = _calls(relik)

    async def main():
        batcher = MicroBatcher(read, max_batch=64, max_wait_ms=50)
        batcher.start()
        requests = [(["Paris and France.", f"text {i}"], 3 if i % 2 else None) for i in range(6)]
        answers = await asyncio.gather(*(batcher.submit(texts, top_k) for texts, top_k in requests))
        await batcher.stop()
        return requests, answers

    requests, answers = asyncio.run(main())
    assert sorted(calls, key=str) == [(6, 3), (6, None)]  # 12 texts in 2 calls, one per top_k
    for (texts, _), predictions in zip(requests, answers):
        assert [p.text for p in predictions] == texts and [p.id for p in predictions] == ["0", "1"]


def test_max_batch_one_reads_each_request_alone(relik):
    calls, read = _calls(relik)

    async def main():
        batcher = MicroBatcher(read, max_batch=1, max_wait_ms=50)
        batcher.start()
        await asyncio.gather(*(batcher.submit([f"text {i}"]) for i in range(4)))
        await batcher.stop()

    asyncio.run(main())
    assert calls == [(1, None)] * 4


def test_an_error_reaches_only_the_request_that_caused_it(relik):
    async def main():
        batcher = MicroBatcher(lambda texts, top_k, mentions: relik(texts, top_k=top_k), max_batch=64, max_wait_ms=50)
        batcher.start()
        answers = await asyncio.gather(batcher.submit(["fine"]), batcher.submit(["bad \ud800"]),
                                       batcher.submit(["also fine"]), return_exceptions=True)
        await batcher.stop()
        return answers

    good, bad, other = asyncio.run(main())
    assert isinstance(bad, InputError) and "lone surrogate" in str(bad)
    assert good[0].text == "fine" and other[0].text == "also fine"


def test_runner_checks_texts_waits_for_a_model_and_times_out(model_dir, relik):
    async def main(settings: ServeSettings, loaded: bool):
        watcher = ModelWatcher(model_dir, lambda _: relik, poll_s=0)
        if loaded:
            watcher.adopt(relik)
        runner = Runner(watcher, settings)
        runner.batcher.start()
        try:
            return await runner.annotate(["Paris is in France."] * 3)
        finally:
            await runner.batcher.stop()

    with pytest.raises(NotReady):
        asyncio.run(main(ServeSettings(), loaded=False))
    with pytest.raises(RequestTimeout):
        asyncio.run(main(ServeSettings(timeout_s=1e-3), loaded=True))
    with pytest.raises(InputError, match="at most 2 texts per request"):
        asyncio.run(main(ServeSettings(max_texts=2), loaded=True))
    assert [p.id for p in asyncio.run(main(ServeSettings(), loaded=True))] == ["0", "1", "2"]


def test_settings_refuse_bad_values():
    for values, field in (({"max_batch": 0}, "max_batch"), ({"port": 70000}, "port"),
                          ({"max_wait_ms": -1}, "max_wait_ms"), ({"timeout_s": 0}, "timeout_s")):
        with pytest.raises(InputError) as caught:
            ServeSettings(**values)
        assert caught.value.field == field


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--max-batch", "0"], "argument --max-batch: expected an integer >= 1, got 0"),
        (["--port", "70000"], "argument --port: expected a port from 1 to 65535, got 70000"),
        (["--max-wait-ms", "-1"], "argument --max-wait-ms: expected a number >= 0, got '-1'"),
        (["--timeout-s", "0"], "argument --timeout-s: expected a number > 0, got '0'"),
        (["--threads", "x"], "argument --threads: expected an integer >= 1, got 'x'"),
    ],
)
def test_serve_refuses_bad_arguments_before_loading(model_dir, capsys, flags, words):
    from relik_ml.cli import main

    assert main(["serve", "--model", str(model_dir), *flags]) == 2
    assert words in capsys.readouterr().err


def test_serve_refuses_a_directory_that_is_no_model(tmp_path, capsys):
    from relik_ml.cli import main

    assert main(["serve", "--model", str(tmp_path)]) == 2
    assert "relik.json: file not found" in capsys.readouterr().err
