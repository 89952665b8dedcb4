"""DBP15K (JAPE / GCN-Align copy): one `<src>_en/` folder per language pair of cross-lingual DBpedia KGs.

`ent_ids_1` / `ent_ids_2`: `id \\t DBpedia resource IRI` for the non-English and the English side
(ids are global: the two sets are disjoint); `ref_ent_ids`: `id_1 \\t id_2`, the gold 1:1 pairs.
UTF-8, tab-separated, no header. An entity's name is its IRI's Wikipedia title, percent-decoded,
spaces for underscores. The relation triples carry no names and are not read. Every bad line is an
`InputError` naming the file, the line and the column (`id`, `iri`, `id_1`, `id_2`): a malformed
id, a repeated id, an IRI without `/resource/`, a pair naming an unknown id or an id already paired.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from relik_ml.formats._common import Where, check_name, iter_lines, parse_natural

ENTITIES_SOURCE = "ent_ids_1"
ENTITIES_ENGLISH = "ent_ids_2"
GOLD_PAIRS = "ref_ent_ids"
RESOURCE = "/resource/"


@dataclass(frozen=True)
class Dbp15kPair:
    """One language pair: entity names by id on each side and the gold (source id, English id) pairs."""

    source_language: str  # "zh", "ja", "fr": the folder name before "_en"
    source: dict[int, str]  # id -> name on the non-English side
    english: dict[int, str]  # id -> name on the English side
    pairs: tuple[tuple[int, int], ...]  # gold alignments in file order


def read_dbp15k(folder: str | Path) -> Dbp15kPair:
    """Read `ent_ids_1`, `ent_ids_2` and `ref_ent_ids` of one pair folder (e.g. `dbp15k/zh_en`)."""
    folder = Path(folder)
    language = folder.name.split("_", 1)[0] if folder.name.endswith("_en") else folder.name
    source = read_entity_ids(folder / ENTITIES_SOURCE)
    english = read_entity_ids(folder / ENTITIES_ENGLISH)
    return Dbp15kPair(language, source, english, read_gold_pairs(folder / GOLD_PAIRS, source, english))


def read_entity_ids(path: Path) -> dict[int, str]:
    """`id \\t IRI` lines -> {id: name}; blank lines (the final newline) are skipped."""
    names: dict[int, str] = {}
    for number, line in iter_lines(path):
        if not line:
            continue
        where = Where(path, number)
        identifier, iri = _columns(line, where, ("id", "iri"))
        key = parse_natural(identifier, where.at("id"))
        if key in names:
            raise where.at("id").error(f"duplicate id {key}")
        names[key] = name_from_iri(iri, where.at("iri"))
    return names


def read_gold_pairs(path: Path, source: dict[int, str], english: dict[int, str]) -> tuple[tuple[int, int], ...]:
    """`id_1 \\t id_2` lines, each id known on its side and paired once."""
    pairs: list[tuple[int, int]] = []
    paired: tuple[set[int], set[int]] = (set(), set())
    for number, line in iter_lines(path):
        if not line:
            continue
        where = Where(path, number)
        columns = _columns(line, where, ("id_1", "id_2"))
        ids = []
        for side, (column, text, known) in enumerate(zip(("id_1", "id_2"), columns, (source, english))):
            key = parse_natural(text, where.at(column))
            if key not in known:
                raise where.at(column).error(f"id {key} is not in {ENTITIES_SOURCE if side == 0 else ENTITIES_ENGLISH}")
            if key in paired[side]:
                raise where.at(column).error(f"id {key} is already paired (gold pairs are 1:1)")
            paired[side].add(key)
            ids.append(key)
        pairs.append((ids[0], ids[1]))
    return tuple(pairs)


def name_from_iri(iri: str, where: Where) -> str:
    """The Wikipedia title of a DBpedia resource IRI: `.../resource/Kim_Dae-jung` -> `Kim Dae-jung`."""
    if RESOURCE not in iri:
        raise where.error(f"not a DBpedia resource IRI (no {RESOURCE!r}): {iri!r:.80}")
    return check_name(unquote(iri.split(RESOURCE, 1)[1]).replace("_", " "), where)


def _columns(line: str, where: Where, names: tuple[str, str]) -> tuple[str, str]:
    columns = line.split("\t")
    if len(columns) != 2:
        raise where.at(names[0]).error(f"expected 2 tab-separated columns ({', '.join(names)}), got {len(columns)}")
    return columns[0], columns[1]
