"""The reader artifact: one HF directory (config.json, model.safetensors, tokenizer, manifest.json)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from transformers import AutoTokenizer, PreTrainedTokenizerBase

from relik_ml.io import atomic_directory, read_json, write_manifest
from relik_ml.reader.configuration import EntqaReaderConfig
from relik_ml.reader.entqa_modeling import EntqaReaderModel
from relik_ml.reader.modeling import RelikReaderModel

ARTIFACT = "reader"


def save_reader(
    model: RelikReaderModel | EntqaReaderModel,
    tokenizer: PreTrainedTokenizerBase,
    output_dir: str | Path,
    *,
    config: Any = None,
    counts: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write model (safetensors), tokenizer (with the <ST*> tokens) and manifest atomically."""
    with atomic_directory(output_dir, artifact=ARTIFACT) as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        write_manifest(tmp, artifact=ARTIFACT, config=config, counts=counts, extra=extra)
    return Path(output_dir)


def load_reader(path: str | Path) -> tuple[RelikReaderModel | EntqaReaderModel, PreTrainedTokenizerBase]:
    """Load a saved reader (ReLiK or EntQA, by the config's model type) and its tokenizer (local files
    only, no remote code), in eval mode."""
    config = read_json(Path(path) / "config.json")
    architecture = EntqaReaderModel if config.get("model_type") == EntqaReaderConfig.model_type else RelikReaderModel
    model = architecture.from_pretrained(str(path), local_files_only=True)
    tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    return model.eval(), tokenizer
