"""What ``claims evaluate`` scores, and the model's own training data (for calibration and baselines).

The model's ``run_config.yaml`` says which files, columns, delimiter, labels and validation split it was
trained with; evaluate re-derives the same splits from it (``training.splits``), never the bundled corpus in
their place. A model not trained on the bundled corpus must be told what to score (``--data`` or ``--split``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from inference.tables import parse_delimiter

from ..config import RunConfig, load_config
from ..rows import read_rows
from ..splits import RunRows, is_bundled, load_run_rows


@dataclass
class EvalData:
    """The sentences to score (``text``/``label`` plus the file's other columns) and the model's run data."""

    rows: list[dict]
    source: str  # the file, or "validation split of <train file>"
    run: RunRows
    validation_source: str


def load_eval_data(
    model_dir: Path,
    labels: tuple[str, ...],
    data_file: str | Path | None = None,
    split: str | None = None,
    text_column: str | None = None,
    label_column: str | None = None,
    delimiter: str | None = None,
) -> EvalData:
    """Rows to evaluate (``data_file`` or the run's ``split``) and the run's own train/validation rows.

    Raises:
        ValueError: both or (for a model not trained on the bundled corpus) neither of ``data_file``/``split``,
            or a split the run does not have.
        FileNotFoundError: ``run_config.yaml`` names a file that does not exist from the current directory.
    """
    if data_file is not None and split is not None:
        raise ValueError(f"give either --data ({data_file}) or --split ({split}), not both")
    config = _run_config(model_dir)
    data = config.data if config else RunConfig().data  # no run_config.yaml: the bundled corpus's splits
    if data_file is None and split is None:
        if config is None or not (is_bundled(data.train_file) and data.test_file):
            trained_on = f"was trained on {data.train_file}" if config else "has no run_config.yaml"
            raise ValueError(
                f"{model_dir} {trained_on}, not (known to be) the bundled corpus: say what to score with "
                "--data FILE (a labelled CSV/JSONL file) or --split validation" + ("|test" if data.test_file else "")
            )
        split = "test"
    seed = config.training.seed if config else RunConfig().training.seed
    run = load_run_rows(data, seed)
    validation_source = data.validation_file or f"validation split held out of {data.train_file}"
    if split is not None:
        if split not in run.splits:
            raise ValueError(f"{model_dir} has no {split} split (data.{split}_file is null in its run_config.yaml)")
        source = {
            "validation": validation_source,
            "test": data.test_file,
            "train": data.train_file,
            "dev": data.dev_file,
        }[split]
        return EvalData(run.splits[split], str(source), run, str(validation_source))
    columns = (text_column or data.text_column, label_column or data.label_column)
    rows = read_rows(data_file, *columns, labels=labels, delimiter=parse_delimiter(delimiter or data.delimiter))
    rows = [{**row, "text": row[columns[0]], "label": row[columns[1]]} for row in rows]
    return EvalData(rows, str(data_file), run, str(validation_source))


def _run_config(model_dir: Path) -> RunConfig | None:
    """The model's run config, or None for a folder without one.

    Raises:
        FileNotFoundError: a data file it names does not exist from the current directory.
    """
    path = model_dir / "run_config.yaml"
    if not path.is_file():
        return None
    config = load_config(path)
    for split in ("train", "validation", "test", "dev"):
        named = getattr(config.data, f"{split}_file")
        if named and not Path(named).is_file():
            raise FileNotFoundError(
                f"{path}: data.{split}_file is {named!r}, which does not exist from {Path.cwd()}; run "
                "claims evaluate from the directory training ran in, or give the file with --data "
                "(calibration and baselines also need the validation and train files)"
            )
    return config
