from __future__ import annotations

from pathlib import Path

import pytest

from relik_ml.formats.aida import read_aida
from relik_ml.types import Document, Span, Triplet
from relik_ml.validate import window_problems
from relik_ml.windows import WindowConfig, WindowStats, make_windows, window_starts, windows_for_documents, word_offsets

SHARED_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
AIDA = SHARED_DATA / "aida-conll-yago"


def numbered_doc(num_words: int, spans: tuple[Span, ...] = (), triplets: tuple[Triplet, ...] = ()) -> Document:
    """A document `w0 w1 ... w{n-1}`; word i starts at `word_start(i)`."""
    return Document("doc", " ".join(f"w{i}" for i in range(num_words)), spans, triplets)


def word_span(doc: Document, first: int, last: int, label: str = "Q1") -> Span:
    """The span covering words `first..last` (inclusive) of `doc`."""
    words = word_offsets(doc.text)
    return Span(words[first][0], words[last][1], label)


def words_of(text: str, tokenizer: str = "whitespace-punct") -> list[str]:
    return [text[a:b] for a, b in word_offsets(text, tokenizer)]


def test_words_split_hyphens_and_punctuation_but_keep_numbers_and_abbreviations() -> None:
    text = "The U.S. side won 2-1 on 1996-08-22 , 1,234.5 at 10:30 ; Germany 's coach ( 44-year-old ) ."
    assert words_of(text) == [
        "The", "U.S.", "side", "won", "2", "-", "1", "on", "1996", "-", "08", "-", "22", ",", "1,234.5",
        "at", "10:30", ";", "Germany", "'s", "coach", "(", "44", "-", "year", "-", "old", ")", ".",
    ]


def test_whitespace_tokenizer_keeps_tokens_whole() -> None:
    assert words_of("won 2-1 , U.S.", "whitespace") == ["won", "2-1", ",", "U.S."]


@pytest.mark.parametrize(
    ("num_words", "starts"),
    [
        (0, []), (1, [0]), (32, [0]), (33, [0, 1]), (48, [0, 16]), (49, [0, 16, 17]),
        (64, [0, 16, 32]), (70, [0, 16, 32, 38]),
    ],
)
def test_window_starts_cover_every_word(num_words: int, starts: list[int]) -> None:
    assert window_starts(num_words, 32, 16) == starts


def test_empty_document_has_no_windows() -> None:
    windows, stats = make_windows(Document("empty", "   \n "))
    assert windows == [] and stats == WindowStats(documents=1)


def test_short_document_is_one_window_with_topic() -> None:
    doc = Document("d", "  SOCCER - Japan win .  ", (Span(11, 16, "Japan"),), language="en")
    [window], stats = make_windows(doc)
    assert (window.id, window.doc_id, window.start, window.end) == ("d#0", "d", 2, 22)
    assert window.text == "SOCCER - Japan win ."
    assert window.topic == "SOCCER"
    assert window.spans == (Span(9, 14, "Japan"),) and window.text[9:14] == "Japan"
    assert stats.windows == 1 and stats.spans_kept == 1
    assert make_windows(doc, WindowConfig(topic=False))[0][0].topic == ""


def test_windows_are_document_slices_and_reach_the_end() -> None:
    doc = numbered_doc(70)
    windows, stats = make_windows(doc)
    assert [w.id for w in windows] == ["doc#0", "doc#1", "doc#2", "doc#3"]
    assert all(w.text == doc.text[w.start : w.end] for w in windows)
    assert [w.text.split()[0] for w in windows] == ["w0", "w16", "w32", "w38"]
    assert all(len(w.text.split()) == 32 for w in windows)
    assert windows[-1].end == len(doc.text)
    assert make_windows(doc) == (windows, stats)


def test_span_cut_by_a_window_edge_is_dropped_there_and_counted() -> None:
    doc = numbered_doc(48)
    crossing = word_span(doc, 30, 33)  # in window 1 (words 16..47) only
    inside_both = word_span(doc, 20, 21)
    windows, stats = make_windows(Document(doc.id, doc.text, (crossing, inside_both)))
    assert windows[0].spans == (inside_both.shifted(-windows[0].start),)
    assert windows[1].spans == (crossing.shifted(-windows[1].start), inside_both.shifted(-windows[1].start))
    assert (stats.spans_kept, stats.spans_cut, stats.spans_lost) == (3, 1, 0)


def test_projected_spans_cover_the_same_text() -> None:
    doc = numbered_doc(100)
    doc = Document(doc.id, doc.text, tuple(word_span(doc, i, i + 2) for i in range(0, 98, 7)))
    windows, stats = make_windows(doc)
    covered = {doc.text[s.start : s.end] for s in doc.spans}
    assert {w.text[s.start : s.end] for w in windows for s in w.spans} == covered
    assert stats.spans_lost == 0


def test_span_longer_than_a_window_is_lost() -> None:
    doc = numbered_doc(80)
    doc = Document(doc.id, doc.text, (word_span(doc, 5, 45),))
    windows, stats = make_windows(doc)
    assert all(not w.spans for w in windows)
    assert [w.text.split()[0] for w in windows] == ["w0", "w16", "w32", "w48"]
    assert stats.spans_lost == 1 and stats.spans_cut == 3  # the window from w48 does not touch it


def test_triplets_kept_cut_and_lost() -> None:
    doc = numbered_doc(48)
    near = Triplet(word_span(doc, 1, 1), "P17", word_span(doc, 3, 3))  # window 0 only
    far = Triplet(word_span(doc, 0, 0), "P31", word_span(doc, 40, 40))  # no window has both
    doc = Document(doc.id, doc.text, (*{near.subject, near.object, far.subject, far.object},), (near, far))
    windows, stats = make_windows(doc)
    assert windows[0].triplets == (near.shifted(-windows[0].start),)
    assert windows[1].triplets == ()
    assert (stats.triplets_kept, stats.triplets_cut, stats.triplets_lost) == (1, 2, 1)


def test_stats_add_up_over_documents() -> None:
    docs = [numbered_doc(10), numbered_doc(70), Document("e", "")]
    windows, stats = windows_for_documents(docs)
    assert len(windows) == stats.windows == 5
    assert stats.documents == 3
    assert sum((make_windows(d)[1] for d in docs), WindowStats()) == stats
    assert sum(make_windows(d)[1] for d in docs) == stats


@pytest.mark.parametrize("kwargs", [{"stride": 0}, {"stride": 40}, {"window_size": 0}, {"tokenizer": "spacy"}])
def test_bad_config_is_rejected(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        WindowConfig(**kwargs)


@pytest.fixture(scope="module")
def aida_documents() -> list[Document]:
    conll = AIDA / "conll2003-eng"
    annotations = AIDA / "aida-annotations" / "AIDA-YAGO2-annotations.train+testa.tsv"
    paths = [annotations, conll / "eng.train", conll / "eng.testa"]
    if not all(p.exists() for p in paths):
        pytest.skip(f"AIDA files not available under {AIDA}")
    return read_aida(*paths)


@pytest.mark.shared_data
@pytest.mark.parametrize(("split", "reported"), [("train", 12_995), ("testa", 3_292)])
def test_aida_window_counts_match_relik_within_3_percent(
    aida_documents: list[Document], split: str, reported: int
) -> None:
    docs = [d for d in aida_documents if d.split == split]
    windows, stats = windows_for_documents(docs)
    assert abs(stats.windows - reported) / reported < 0.03, stats.windows
    assert stats.spans_lost == 0 and stats.spans_kept > sum(len(d.spans) for d in docs)
    assert window_problems(windows, {d.id: d for d in docs}) == []
