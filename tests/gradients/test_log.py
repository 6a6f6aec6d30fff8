"""Claims about `keras_resnet.gradients.log`: the CSV a run keeps and continues, and TensorBoard."""

import importlib.util

from keras_resnet.gradients.log import CSV_COLUMNS, CsvLog, TensorBoardLog, read_csv, write_csv


def rows(epochs, layers=("conv1_conv", "predictions")):
    return [
        {
            "step": 10 * (epoch + 1),
            "epoch": epoch,
            "layer": layer,
            "depth": depth + 1,
            "grad_norm": 0.5,
            "weight_norm": 2.0,
            "ratio": 0.25,
        }
        for epoch in epochs
        for depth, layer in enumerate(layers)
    ]


def test_written_records_read_back_equal(tmp_path):
    path = tmp_path / "gradient_norms.csv"
    write_csv(rows([0, 1]), path)
    assert read_csv(path) == rows([0, 1])
    assert path.read_text().splitlines()[0] == ",".join(CSV_COLUMNS)
    assert [p.name for p in tmp_path.iterdir()] == ["gradient_norms.csv"]  # no temporary left


def test_a_last_row_cut_short_by_a_kill_is_skipped(tmp_path):
    path = tmp_path / "gradient_norms.csv"
    write_csv(rows([0]), path)
    with open(path, "a") as f:
        f.write("20,1,conv1_conv,1,0.5")
    assert read_csv(path) == rows([0])
    assert read_csv(tmp_path / "missing.csv") == [] and read_csv(None) == []


def test_continuing_keeps_earlier_epochs_drops_later_ones_and_appends_after_them(tmp_path):
    log = CsvLog(tmp_path)
    write_csv(rows([0, 1, 2]), log.path)
    kept = log.continue_run(first_epoch=2)
    assert kept == rows([0, 1]) and read_csv(log.path) == rows([0, 1])
    records = kept + rows([2])
    log.append(records)
    log.append(records)  # nothing new: nothing written twice
    assert read_csv(log.path) == rows([0, 1, 2])


def test_appending_to_a_new_folder_writes_the_header_once(tmp_path):
    log = CsvLog(tmp_path / "run")
    assert log.continue_run(first_epoch=0) == [] and not (tmp_path / "run").exists()
    log.append(rows([0]))
    log.append(rows([0, 1]))
    assert read_csv(log.path) == rows([0, 1])


def test_tensorboard_log_without_tensorflow_or_tensorboard_prints_one_note(tmp_path, monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "tensorboard" else real(name, *a)
    )
    assert TensorBoardLog.open(tmp_path / "tb") is None
    assert capsys.readouterr().out.count("note:") == 1
    assert not (tmp_path / "tb").exists()
