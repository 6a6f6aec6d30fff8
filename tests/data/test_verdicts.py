"""Image verdicts: each file fully decoded once, bad ones named with their reason, the verdicts
cached outside the dataset folder by (path, size, modification time)."""

import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from keras_resnet.data import images, verdicts
from tests.faults_helpers import tree_hashes


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(verdicts.CACHE_ENV, str(folder))
    return folder


@pytest.fixture
def decodes(monkeypatch):
    """The paths `check_images` decodes, in a list the test can read."""
    seen = []
    real = images.check_image

    def counting(path):
        seen.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(images, "check_image", counting)
    return seen


def _jpeg(path, seed=0, size=(24, 32)):
    pixels = np.random.default_rng(seed).integers(0, 256, (*size, 3), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, quality=90)
    return path


def _truncated_jpeg(path):
    """A JPEG with a valid header, cut in half (an interrupted download): it opens, then fails."""
    data = _jpeg(path, seed=7).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with Image.open(path) as image:  # the header alone is fine: only a full decode finds it
        assert image.size == (32, 24)
    return path


def _folder(root):
    paths = [_jpeg(root / "cat" / f"{i}.jpg", seed=i) for i in range(3)]
    paths.append(_truncated_jpeg(root / "dog" / "cut.jpg"))
    (root / "dog" / "empty.png").write_bytes(b"")
    (root / "dog" / "text.png").write_text("not an image")
    return [*paths, root / "dog" / "empty.png", root / "dog" / "text.png"]


def test_a_truncated_jpeg_an_empty_file_and_a_text_file_are_named_with_their_reasons(tmp_path, cache):
    paths = _folder(tmp_path / "data")
    result = verdicts.check_images(paths, root=tmp_path / "data")
    assert result.good == paths[:3] and set(result.formats.values()) == {"JPEG"}
    reasons = {path.name: reason for path, reason in result.bad}
    assert set(reasons) == {"cut.jpg", "empty.png", "text.png"}
    assert reasons["empty.png"] == "empty file" and "truncated" in reasons["cut.jpg"].lower()
    message = verdicts.bad_images_message(result.bad, tmp_path / "data")
    assert message.startswith("3 images cannot be decoded: dog/cut.jpg (") and "\n" not in message


def test_the_message_names_the_first_three_then_counts_the_rest(tmp_path):
    bad = [(tmp_path / f"{i}.jpg", "empty file") for i in range(5)]
    message = verdicts.bad_images_message(bad, tmp_path)
    assert message == (
        "5 images cannot be decoded: 0.jpg (empty file), 1.jpg (empty file), 2.jpg (empty file), and 2 more"
    )


def test_the_second_check_decodes_nothing(tmp_path, cache, decodes):
    paths = _folder(tmp_path / "data")
    first = verdicts.check_images(paths, root=tmp_path / "data")
    assert first.decoded == len(paths) == len(decodes)
    decodes.clear()
    second = verdicts.check_images(paths, root=tmp_path / "data")
    assert decodes == [] and second.decoded == 0
    assert second.formats == first.formats and second.bad == first.bad


def test_touching_a_file_checks_it_again_and_only_it(tmp_path, cache, decodes):
    paths = _folder(tmp_path / "data")
    verdicts.check_images(paths, root=tmp_path / "data")
    decodes.clear()
    stat = paths[0].stat()
    os.utime(paths[0], ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # same size, new time
    _jpeg(tmp_path / "data" / "dog" / "cut.jpg", seed=7)  # the cut file replaced by a good one
    result = verdicts.check_images(paths, root=tmp_path / "data")
    assert sorted(decodes) == ["0.jpg", "cut.jpg"]
    assert {p.name for p, _ in result.bad} == {"empty.png", "text.png"}


def test_the_cache_lives_outside_the_dataset_folder_which_is_left_unchanged(tmp_path, cache):
    paths = _folder(tmp_path / "data")
    before = tree_hashes(tmp_path / "data")
    verdicts.check_images(paths, root=tmp_path / "data")
    verdicts.check_images(paths, root=tmp_path / "data")
    assert tree_hashes(tmp_path / "data") == before
    written = [p for p in cache.rglob("*") if p.is_file()]
    assert len(written) == 1 and written[0].parent == cache / "image_verdicts"


def test_a_damaged_cache_is_ignored_and_rewritten(tmp_path, cache, decodes):
    paths = _folder(tmp_path / "data")
    verdicts.check_images(paths, root=tmp_path / "data")
    (cache_file,) = (cache / "image_verdicts").iterdir()
    cache_file.write_text("{not json")
    decodes.clear()
    result = verdicts.check_images(paths, root=tmp_path / "data")
    assert len(decodes) == len(paths) and len(result.bad) == 3
    decodes.clear()
    verdicts.check_images(paths, root=tmp_path / "data")
    assert decodes == []


def test_a_long_check_without_a_terminal_prints_at_most_two_lines(tmp_path, cache, monkeypatch):
    paths = [_jpeg(tmp_path / "data" / "a" / f"{i}.jpg", seed=i) for i in range(6)]
    monkeypatch.setattr(verdicts, "PROGRESS_AFTER_SECONDS", 0.0)
    stream = io.StringIO()
    monkeypatch.setattr(verdicts.sys, "stderr", stream)
    verdicts.check_images(paths, root=tmp_path / "data")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and "\r" not in stream.getvalue() and lines[-1].startswith("checked 6 images in")


def test_webp_and_tiff_files_decode_and_report_their_format(tmp_path, cache):
    pixels = np.random.default_rng(0).integers(0, 256, (10, 12, 3), dtype=np.uint8)
    webp, tiff = tmp_path / "a.webp", tmp_path / "b.tif"
    Image.fromarray(pixels).save(webp, lossless=True)
    Image.fromarray(pixels).save(tiff)
    result = verdicts.check_images([webp, tiff], root=tmp_path)
    assert result.formats == {webp: "WEBP", tiff: "TIFF"}
    np.testing.assert_array_equal(images.decode_image(webp), pixels)
