from __future__ import annotations

import pytest

from relik_ml.config import load_params
from relik_ml.errors import InputError
from relik_ml.stages import STAGES, stage_call

from tests.paths import ROOT


def test_project_params_load_typed():
    params = load_params(ROOT / "params.yaml")
    assert params.task_windows.window_size == 32 and params.task_windows.stride == 16
    assert params.relation_passages.drop_datatypes == ("external-id",)
    assert set(params.raw.datasets) >= {"aida", "conll04"}
    assert params.data_root == ROOT / "data"


def test_unknown_key_is_an_error(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("entity_passages:\n  max_wrods: 10\n")
    with pytest.raises(InputError, match=r"params\.yaml: field 'entity_passages': unknown keys \['max_wrods'\]"):
        load_params(path)


def test_every_partitioned_stage_needs_a_valid_partition():
    params = load_params(ROOT / "params.yaml")
    for name, stage in STAGES.items():
        if stage.partitions is None:
            assert stage_call(name, params).out == params.data_root / name
            continue
        with pytest.raises(KeyError, match="needs --partition"):
            stage_call(name, params, "no-such-partition")
        key = stage.partitions(params)[0]
        assert stage_call(name, params, key).out == params.data_root / name / key


@pytest.mark.parametrize("path", sorted(ROOT.glob("params*.yaml")), ids=lambda p: p.name)
def test_every_params_file_in_the_project_builds_its_reader_configs(path):
    from relik_ml.reader.configuration import RelikReaderConfig
    from relik_ml.reader.train import ReaderTrainConfig
    from relik_ml.stages.linking import params_section

    params = load_params(path)
    readers = [params_section(params, prefix, "reader") for prefix in ("el", "re", "cie")]
    for section in (s for s in readers if s):
        RelikReaderConfig.from_settings(section.get("model", {}))
        ReaderTrainConfig(backbone_path="unused", **section.get("train", {}))
    assert any(readers)


def test_a_misspelt_reader_key_is_an_error_naming_the_field():
    from relik_ml.reader.configuration import RelikReaderConfig

    with pytest.raises(InputError, match=r"field 'el/reader\.model': unknown reader keys \['candidate_text_layrs'\]"):
        RelikReaderConfig.from_settings({"task": "el", "candidate_text_layrs": 2}, field="el/reader.model")
    with pytest.raises(InputError, match="field 'el/reader.model': candidate_attention must be one of"):
        RelikReaderConfig.from_settings({"candidate_attention": "cross"}, field="el/reader.model")
