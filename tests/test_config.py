from pathlib import Path

import pytest
import yaml

from training.config import RunConfig, load_config, save_config

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["camembert-mini.yaml", "camembert-base.yaml", "tiny.yaml"])
def test_bundled_configs_load(name):
    config = load_config(ROOT / "configs" / name)
    assert isinstance(config, RunConfig)
    # Each bundled run fits its own model's position table and writes somewhere of its own.
    assert 8 <= config.model.max_length <= 512
    assert config.training.output_dir.startswith("outputs/") and config.training.output_dir != "outputs/model"


def test_yaml_values_map_onto_typed_fields():
    config = load_config(ROOT / "configs" / "camembert-mini.yaml")
    assert config.model.name_or_path == "models/mini-encoder"
    assert isinstance(config.training.learning_rate, float)  # "2.0e-4" in YAML
    assert config.training.output_dir == "outputs/claims-mini"


def test_overrides_win_over_the_file():
    config = load_config(
        ROOT / "configs" / "tiny.yaml",
        ["training.learning_rate=3e-5", "training.seed=123", "model.name_or_path=/some/dir", "data.test_file=null"],
    )
    assert config.training.learning_rate == pytest.approx(3e-5)
    assert config.training.seed == 123
    assert config.model.name_or_path == "/some/dir"
    assert config.data.test_file is None


def test_unknown_key_is_rejected_with_its_name(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("training:\n  learning_rat: 0.1\n")
    with pytest.raises(ValueError, match="learning_rat"):
        load_config(path)


def test_unknown_section_is_rejected(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("optimiser:\n  lr: 0.1\n")
    with pytest.raises(ValueError, match="unknown section 'optimiser'"):
        load_config(path)


def test_wrong_type_is_rejected():
    with pytest.raises(ValueError, match="training.seed: expected int"):
        load_config(ROOT / "configs" / "tiny.yaml", ["training.seed=abc"])


def test_bad_override_syntax_is_explained():
    with pytest.raises(ValueError, match="section.key=value"):
        load_config(None, ["learning_rate=0.1"])


def test_post_init_validation():
    with pytest.raises(ValueError, match="divisible"):
        load_config(None, ["model.hidden_size=30", "model.num_attention_heads=4"])


def test_saved_config_round_trips(tmp_path):
    config = load_config(ROOT / "configs" / "tiny.yaml", ["training.seed=9"])
    save_config(config, tmp_path / "run_config.yaml")
    again = load_config(tmp_path / "run_config.yaml")
    assert again == config
    assert yaml.safe_load((tmp_path / "run_config.yaml").read_text())["training"]["seed"] == 9
