"""KILT knowledge-source records (`kilt_knowledgesource.json` layout) for every KB entity."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from relik_ml.io import write_jsonl
from scripts.make_sample.model import Entity, KnowledgeBase, parse_markup

CATEGORY = {
    "country": "Countries", "state": "First-level administrative divisions", "region": "Regions",
    "city": "Cities", "district": "Neighbourhoods", "river": "Rivers", "island": "Islands",
    "mountain": "Mountains", "person": "People", "company": "Companies", "club": "Sports clubs",
    "org": "International organizations", "university": "Universities", "media": "News media",
    "band": "Musical groups", "team": "Sports teams", "event": "Events", "language": "Languages",
    "product": "Products", "thing": "Concepts", "work": "Films", "award": "Awards",
}


def kilt_record(kb: KnowledgeBase, entity: Entity) -> dict:
    """One page: title paragraph + description paragraph, anchors with paragraph-local offsets."""
    text, links = parse_markup(entity.markup)
    page_id = kb.page_id[entity.title]
    anchors = [
        {
            "paragraph_id": 1,
            "start": start,
            "end": end,
            "text": text[start:end],
            "href": quote(title),
            "wikipedia_title": title,
            "wikipedia_id": kb.page_id[title],
        }
        for start, end, title in links
    ]
    record = {
        "_id": page_id,
        "wikipedia_id": page_id,
        "wikipedia_title": entity.title,
        "text": [entity.title + "\n", text + "\n"],
        "anchors": anchors,
        "categories": CATEGORY[entity.kind],
        "history": {
            "pageid": int(page_id),
            "parentid": 0,
            "pre_dump": True,
            "revid": int(page_id) * 10,
            "timestamp": "2019-08-01T00:00:00Z",
            "url": f"https://en.wikipedia.org/w/index.php?title={quote(entity.title.replace(' ', '_'))}",
        },
    }
    if entity.qid:
        aliases = [alias for alias in entity.aliases if alias != entity.title]
        record["wikidata_info"] = {"wikidata_id": entity.qid, "aliases": {"alias": aliases}}
    return record


def write_kilt(kb: KnowledgeBase, out: Path) -> dict[str, int]:
    folder = out / "kilt"
    folder.mkdir(parents=True)
    count = write_jsonl(folder / "knowledge_source.jsonl", (kilt_record(kb, e) for e in kb.entities))
    return {"pages": count, "anchors": sum(len(parse_markup(e.markup)[1]) for e in kb.entities)}
