"""Folder datasets: every file in a class folder is used or named, a bad image is named before any
model is built (or skipped on request and listed in the run), and the images are the ones
`keras.utils.image_dataset_from_directory` gave, so earlier results stay comparable."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from keras_resnet.cli import main
from keras_resnet.data import folders, verdicts
from keras_resnet.errors import CorruptFileError
from keras_resnet.export.calibration import export_images
from keras_resnet.training.config import resolve_config
from tests.faults_helpers import cli_error, tree_hashes

TINY_RUN = [
    "--model",
    "tiny_model:tiny_resnet",
    "--image-size",
    "16,16",
    "--epochs",
    "1",
    "--batch-size",
    "4",
]
QUIET = ["--no-export", "--no-gradient-norms", "--progress", "none"]


def _image(path: Path, seed: int, size=(20, 24), mode="RGB", **save):
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).convert(mode).save(path, **save)
    return path


def _folder(root: Path, *, per_class=6, truncated=False) -> Path:
    for c, name in enumerate(("cat", "dog")):
        for i in range(per_class):
            _image(root / name / f"{i}.jpg", seed=10 * c + i)
    if truncated:
        data = _image(root / "cat" / "cut.jpg", seed=99).read_bytes()
        (root / "cat" / "cut.jpg").write_bytes(data[: len(data) // 2])  # valid header, cut in half
    return root


def _labels(source) -> list[int]:
    return [int(y) for split in (source.train, source.validation, source.test) for _, y in split]


def test_webp_and_tiff_files_are_used_and_a_text_file_is_named_in_one_notice(tmp_path, capsys):
    root = _folder(tmp_path / "data", per_class=4)
    _image(root / "cat" / "photo.webp", seed=1, lossless=True)
    _image(root / "dog" / "scan.tiff", seed=2)
    _image(root / "dog" / "grey.tif", seed=3, mode="L")
    (root / "dog" / "notes.txt").write_text("taken in May")
    (root / "cat" / "layers.psd").write_bytes(b"8BPS not really")
    source = folders.load_folder(str(root), image_size=(8, 8))
    assert np.bincount(_labels(source)).tolist() == [5, 6]
    notices = [line for line in capsys.readouterr().out.splitlines() if "not used" in line]
    assert len(notices) == 1 and notices[0].startswith("note: 2 files in ")
    assert notices[0].endswith("cat/layers.psd, dog/notes.txt")


def test_the_folder_images_equal_image_dataset_from_directory_in_order_and_pixels(tmp_path):
    import keras

    root = _folder(tmp_path / "data", per_class=3)
    _image(root / "dog" / "nested" / "x.png", seed=5, size=(9, 31), mode="L")
    _image(root / "cat" / "palette.gif", seed=6, mode="P")
    files = folders._list_folder(root)
    formats = verdicts.check_images(files.paths, root=root).formats
    ours = folders._image_dataset(files, (11, 13), formats)
    theirs = keras.utils.image_dataset_from_directory(
        str(root), batch_size=None, image_size=(11, 13), shuffle=False, verbose=False
    )
    for (x, y), (x_keras, y_keras) in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(x.numpy(), x_keras.numpy())
        assert int(y) == int(y_keras)


def test_a_truncated_jpeg_is_named_before_the_model_is_built_and_skipped_on_request(tmp_path, capsys):
    root = _folder(tmp_path / "data", truncated=True)
    with pytest.raises(
        CorruptFileError, match=r"^1 image cannot be decoded: cat/cut\.jpg \(.*--skip-bad-images"
    ):
        folders.load_folder(str(root), image_size=(8, 8))
    source = folders.load_folder(str(root), image_size=(8, 8), skip_bad_images=True)
    assert [Path(path).name for path, _ in source.skipped] == ["cut.jpg"]
    assert len(_labels(source)) == 12
    assert "note: leaving out 1 image that cannot be decoded: cat/cut.jpg" in capsys.readouterr().out


def test_export_calibration_images_from_a_folder_follow_the_same_rule(tmp_path):
    root = _folder(tmp_path / "data", truncated=True)
    _image(root / "dog" / "photo.webp", seed=4)
    with pytest.raises(CorruptFileError, match="cat/cut.jpg"):
        export_images(f"folder:{root}", image_size=(8, 8))
    images = export_images(f"folder:{root}", image_size=(8, 8), skip_bad_images=True, representative=100)
    source = folders.load_folder(str(root), image_size=(8, 8), skip_bad_images=True)
    assert (len(images.representative), len(images.validation[0])) == (
        source.train_examples,
        source.test_examples,
    )
    assert source.train_examples + source.validation_examples + source.test_examples == 13  # the webp too


@pytest.mark.slow
def test_train_refuses_a_folder_with_a_truncated_jpeg_naming_it_in_one_line(tmp_path, capsys):
    root = _folder(tmp_path / "data", truncated=True)
    before = tree_hashes(root)
    line = cli_error(
        capsys, ["train", "--dataset", f"folder:{root}", *TINY_RUN, *QUIET, "--out", str(tmp_path / "r")]
    )
    assert line.startswith("keras-resnet train: error: 1 image cannot be decoded: cat/cut.jpg (")
    assert line.endswith("or pass --skip-bad-images to train without them")
    assert not (tmp_path / "r" / "checkpoints").exists() and tree_hashes(root) == before


@pytest.mark.slow
def test_train_with_skip_bad_images_trains_on_the_rest_and_lists_the_skipped_file(tmp_path, capsys):
    root = _folder(tmp_path / "data", truncated=True)
    before = tree_hashes(root)
    run = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "--dataset",
                f"folder:{root}",
                *TINY_RUN,
                *QUIET,
                "--skip-bad-images",
                "--out",
                str(run),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert f"skipped 1 image that cannot be decoded (listed in {run}/skipped_images.txt)" in out
    listed = (run / "skipped_images.txt").read_text().splitlines()
    assert len(listed) == 1 and listed[0].startswith(f"{root / 'cat' / 'cut.jpg'}\t")
    config = json.loads((run / "config.json").read_text())
    assert config["train_config"]["skip_bad_images"] is True and config["dataset"]["skipped_images"] == 1
    assert tree_hashes(root) == before
    assert resolve_config({}, out=str(run), resume=True).skip_bad_images is True  # --resume keeps it
