"""DaMuEL 1.0 parts: one Wikidata entity per xz-compressed JSON line, some with a tokenised wiki page."""
from __future__ import annotations

import json
import lzma
import random
from collections import Counter
from pathlib import Path

from scripts.make_sample.es_data import ES_KIND, ES_LABELS, ES_SENTENCES
from scripts.make_sample.facts import surfaces
from scripts.make_sample.model import Entity, KnowledgeBase, parse_markup
from scripts.make_sample.tagging import ud_token
from scripts.make_sample.text import word_spans
from scripts.make_sample.write_elevant import display_name
from scripts.make_sample.write_rebel import SENTENCES as EN_SENTENCES

ENTITIES = 100
PAGES = 40
KIND_EN = {"state": "state", "region": "region", "city": "city", "district": "neighbourhood", "river": "river",
           "island": "island", "mountain": "mountain"}


def label(entity: Entity, lang: str) -> str:
    return ES_LABELS.get(entity.title, display_name(entity.title)) if lang == "es" else display_name(entity.title)


def description(kb: KnowledgeBase, entity: Entity, lang: str) -> str:
    """Short Wikidata-style description built from the kind and the first location fact."""
    place = (entity.fact("country") or entity.fact("citizen") or entity.fact("hq") or [None])[0]
    if lang == "es":
        noun = ES_KIND[entity.kind].split(" ", 1)[1]
        return f"{noun} de {label(kb[place], lang)}" if place else noun
    noun = KIND_EN.get(entity.kind, entity.kind)
    if entity.kind == "person":
        return f"person from {label(kb[place], lang)}" if place else "historical figure"
    return f"{noun} in {label(kb[place], lang)}" if place else noun


def page_paragraphs(kb: KnowledgeBase, entity: Entity, lang: str) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """Paragraph texts with `(start, end, title)` links: an opening paragraph and a facts paragraph."""
    name = label(entity, lang)
    if lang == "en":
        opening = parse_markup(entity.markup)
    else:
        article = ES_KIND[entity.kind].split(" ", 1)[0]
        opening = (f"{name} es {article} {description(kb, entity, lang)}.", [])
    facts_text, links = "", []
    for fact, obj in entity.facts:
        pattern = (ES_SENTENCES if lang == "es" else EN_SENTENCES)[fact]
        target = label(kb[obj], lang)
        prefix = (facts_text + " ") if facts_text else ""
        sentence = pattern.replace("{S}", name)
        at = len(prefix) + sentence.index("{O}")
        links.append((at, at + len(target), obj))
        facts_text = prefix + sentence.replace("{O}", target)
    return [opening, (facts_text, links)] if facts_text else [opening]


def wiki_page(kb: KnowledgeBase, entity: Entity, lang: str) -> dict:
    """Text, UD tokens, token-indexed links/sentences/paragraphs; link `end` is exclusive."""
    paragraphs = page_paragraphs(kb, entity, lang)
    text, tokens, links, sentences, spans = "", [], [], [], []
    for body, body_links in paragraphs:
        base, first = len(text), len(tokens)
        sentence_start = len(tokens)
        names = _name_chars(body, body_links, label(entity, lang))
        for start, end in word_spans(body):
            word = body[start:end]
            lemma, upos, feats = ud_token(word, lang, len(tokens) == sentence_start, start in names)
            tokens.append({"start": base + start, "end": base + end, "lemma": lemma, "upostag": upos, "feats": feats})
            if word == ".":
                sentences.append({"start": sentence_start, "end": len(tokens)})
                sentence_start = len(tokens)
        spans.append({"start": first, "end": len(tokens)})
        links += [_link(kb, tokens, base + s, base + e, title, lang) for s, e, title in body_links]
        text += body + "\n\n"
    return {"title": label(entity, lang), "text": text, "links": links, "removed_links": [], "removed_text_before": [],
            "tokens": tokens, "sentences": sentences, "paragraphs": spans}


def _name_chars(body: str, links: list[tuple[int, int, str]], name: str) -> set[int]:
    """Character positions covered by links or by the page entity's own name."""
    ranges = [(s, e) for s, e, _ in links]
    at = body.find(name)
    while at >= 0:
        ranges.append((at, at + len(name)))
        at = body.find(name, at + 1)
    return {i for s, e in ranges for i in range(s, e)}


def _link(kb: KnowledgeBase, tokens: list[dict], start: int, end: int, title: str, lang: str) -> dict:
    first = next(i for i, t in enumerate(tokens) if t["start"] == start)
    last = next(i for i, t in enumerate(tokens) if t["end"] == end)
    link = {"start": first, "end": last + 1, "origin": "wiki", "title": label(kb[title], lang)}
    if kb[title].qid:
        link["qid"] = kb[title].qid
    return link


def damuel_lines(kb: KnowledgeBase, rng: random.Random, lang: str) -> list[dict]:
    chosen = sorted(rng.sample(kb.with_qid(), ENTITIES), key=lambda e: int(e.qid[1:]))
    with_page = {e.title for e in rng.sample([e for e in chosen if e.facts], PAGES)}
    pages = {e.title: wiki_page(kb, e, lang) for e in chosen if e.title in with_page}
    incoming: dict[str, Counter] = {}
    for page in pages.values():
        for link in page["links"]:
            surface = page["text"][page["tokens"][link["start"]]["start"] : page["tokens"][link["end"] - 1]["end"]]
            incoming.setdefault(link.get("qid", ""), Counter())[surface] += 1
    lines = []
    for entity in chosen:
        line = {"qid": entity.qid, "lang": lang, "label": label(entity, lang)}
        aliases = [a for a in surfaces(kb, entity.title) if a != line["label"]] if lang == "en" else []
        if aliases:
            line["aliases"] = aliases
        line["description"] = description(kb, entity, lang)
        if entity.title in pages:
            page = dict(pages[entity.title])
            if aliases:
                page["redirects"] = aliases
            page["anchors"] = dict(sorted(incoming.get(entity.qid, Counter()).items()))
            line["wiki"] = page
        lines.append(line)
    return lines


def write_damuel(kb: KnowledgeBase, rng: random.Random, out: Path) -> dict[str, int]:
    counts = {}
    for lang in ("en", "es"):
        folder = out / "damuel" / lang
        folder.mkdir(parents=True)
        lines = damuel_lines(kb, rng, lang)
        payload = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode("utf-8")
        (folder / "part-00000.xz").write_bytes(lzma.compress(payload, preset=6))
        counts[f"{lang}_entities"] = len(lines)
        counts[f"{lang}_pages"] = sum(1 for line in lines if "wiki" in line)
        counts[f"{lang}_links"] = sum(len(line["wiki"]["links"]) for line in lines if "wiki" in line)
    return counts
