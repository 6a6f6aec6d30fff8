"""`Predictor.predict` takes files, folders, NumPy arrays (HWC or NHWC, uint8 or float) and PIL
images, alone or mixed, and gives each the same answer as the same image read from a file: every
input goes through one Pillow/NumPy path. Bad arrays are one-line errors; a folder's other files
are named in one notice. A stand-in runner keeps these tests free of any model export."""

import numpy as np
import pytest
from PIL import Image

from keras_resnet.errors import CorruptFileError, InvalidInputError
from keras_resnet.export.runners import Runner
from keras_resnet.inference.images import read_images, resize
from keras_resnet.inference.predictor import Predictor


class ProjectionRunner(Runner):
    """Logits = a fixed random projection of the pixels: any change in the pixels changes them."""

    def __init__(self, size, channels, classes=10):
        self.weights = np.random.default_rng(0).normal(0, 1e-3, (size[0] * size[1] * channels, classes))

    def run_batch(self, images):
        return (images.reshape(len(images), -1) @ self.weights).astype(np.float32)


def predictor(size=(32, 32), channels=3):
    runner = ProjectionRunner(size, channels)
    return Predictor(runner, None, size, channels, "stand-in", "logits")


@pytest.fixture
def photo(tmp_path):
    """A 40x50 RGB PNG and its pixels."""
    pixels = np.random.default_rng(1).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    path = tmp_path / "photo.png"
    Image.fromarray(pixels).save(path)
    return path, pixels


def tops(results):
    return [[(t["index"], t["probability"]) for t in result["top"]] for result in results]


@pytest.mark.parametrize("size", [(32, 32), (160, 160)], ids=["plain-resize", "imagenet-rule"])
def test_arrays_pil_images_batches_and_folders_give_the_file_result(photo, size):
    path, pixels = photo
    model = predictor(size)
    want = tops(model.predict(path))[0]
    inputs = {
        "uint8 HWC": pixels,
        "float HWC": pixels.astype(np.float32),
        "PIL image": Image.open(path),
        "NHWC batch": np.stack([pixels, pixels]),
        "folder": path.parent,
        "mixed list": [pixels, str(path), Image.fromarray(pixels)],
    }
    for kind, given in inputs.items():
        for got in tops(model.predict(given)):
            assert got == want, kind


def test_results_name_files_by_path_and_in_memory_images_by_position(photo):
    path, pixels = photo
    results = predictor().predict([np.stack([pixels, pixels]), path, Image.fromarray(pixels)])
    assert [r["image"] for r in results] == ["array[0]", "array[1]", str(path), "image[3]"]


def test_a_grey_model_reads_an_rgb_array_as_it_reads_the_rgb_file(photo):
    path, pixels = photo
    model = predictor(channels=1)
    assert tops(model.predict(pixels)) == tops(model.predict(path))
    grey = np.asarray(Image.open(path).convert("L"))
    assert tops(model.predict(grey[..., None])) == tops(model.predict(path))


@pytest.mark.parametrize(
    "array",
    [
        np.zeros((4, 4)),
        np.zeros((2, 4, 4, 4)),
        np.zeros((1, 2, 4, 4, 3)),
        np.zeros((0, 4, 4, 3)),
        np.array([["a"]]),
    ],
    ids=["rank-2", "4-channels", "rank-5", "empty-batch", "strings"],
)
def test_an_array_that_is_not_an_image_is_a_one_line_error(array):
    with pytest.raises(InvalidInputError) as caught:
        predictor().predict(array)
    message = str(caught.value)
    assert "\n" not in message and (str(array.shape) in message or "dtype <U1" in message)


def test_anything_else_is_refused_naming_what_it_takes():
    with pytest.raises(InvalidInputError, match="a file or folder path, a NumPy array"):
        predictor().predict(42)
    with pytest.raises(InvalidInputError, match="no images given"):
        predictor().predict([])


def test_a_folder_uses_its_images_and_names_every_other_file_in_one_notice(photo, capsys):
    path, _ = photo
    (path.parent / "notes.txt").write_text("not an image")
    (path.parent / "labels.csv").write_text("a,b")
    (path.parent / ".DS_Store").write_text("hidden")
    results = predictor().predict(path.parent)
    assert [r["image"] for r in results] == [str(path)]
    notice = capsys.readouterr().err.strip()
    assert notice.count("\n") == 0 and "2 entries" in notice and "labels.csv, notes.txt" in notice


def test_an_empty_or_truncated_image_is_named_in_one_line(photo, tmp_path):
    path, _ = photo
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    cut = tmp_path / "cut.png"
    cut.write_bytes(path.read_bytes()[:200])
    for bad in (empty, cut):
        with pytest.raises(CorruptFileError) as caught:
            predictor().predict([path, bad])
        assert bad.name in str(caught.value) and "\n" not in str(caught.value)


def test_the_imagenet_rule_resizes_the_shorter_side_to_size_over_0875_then_crops_the_centre():
    image = np.zeros((300, 400, 3), np.float32)
    image[:, 200 - 60 : 200 + 60] = 255  # a centred band 120 px wide: 120 * 256/300 = 102.4 px after
    out = resize(image, (224, 224))
    assert out.shape == (224, 224, 3)
    band = np.flatnonzero(out[112, :, 0] > 127.5)
    assert abs(len(band) - 102) <= 1 and abs((band[0] + band[-1]) / 2 - 111.5) <= 1
    small = resize(image, (32, 32))  # below 128 px: the whole image, squeezed
    assert abs(np.count_nonzero(small[16, :, 0] > 127.5) - 120 * 32 / 400) <= 1


@pytest.mark.slow
def test_the_pillow_resize_stays_within_2_grey_levels_of_tensorflows_antialiased_resize(photo):
    """The rule predict used with TensorFlow (tf.image.resize, antialias=True), now in Pillow."""
    tf = pytest.importorskip("tensorflow")
    _, pixels = photo
    for size in ((32, 32), (24, 60), (100, 100)):
        want = tf.image.resize(tf.cast(pixels, tf.float32), size, antialias=True).numpy()
        _, got = read_images(pixels, size)
        assert np.abs(got[0] - want).max() <= 2.0, size
