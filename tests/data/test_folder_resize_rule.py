"""The folder loader prepares images by the run's resize rule, with the arithmetic the predict path
uses: a fine-tune run's validation and test images equal a Pillow/NumPy centre crop of the same
files (`inference.images.read_images` with the same rule) within a few grey levels, for files
TensorFlow decodes (PNG) and files Pillow decodes (TIFF); without a rule the whole image is resized,
as before."""

import numpy as np
import pytest
from PIL import Image

from keras_resnet.data.folders import load_folder
from keras_resnet.inference.images import read_images
from keras_resnet.models.resizing import WHOLE, centre_crop

pytest.importorskip("tensorflow")

SIZE = (64, 64)
TORCHVISION_V2 = centre_crop(224 / 232)
SHAPES = ((70, 90), (100, 80), (64, 64), (50, 120))


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """train/, val/ and test/ folders of two classes, images of several shapes and two formats."""
    root = tmp_path_factory.mktemp("resize_rule")
    rng = np.random.default_rng(2)
    for split in ("train", "val", "test"):
        for label in ("a", "b"):
            folder = root / split / label
            folder.mkdir(parents=True)
            for index, (height, width) in enumerate(SHAPES):
                pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
                suffix = ".tiff" if index == 1 else ".png"
                Image.fromarray(pixels).save(folder / f"{index}{suffix}")
    return root


def _arrays(split):
    return np.stack([np.asarray(image) for image, _ in split])


def _files(root, split):
    return sorted((root / split).glob("a/*")) + sorted((root / split).glob("b/*"))


@pytest.mark.parametrize("split,name", [("validation", "val"), ("test", "test")])
def test_a_crop_runs_images_equal_a_pillow_centre_crop_of_the_same_files(dataset, split, name):
    source = load_folder(str(dataset), image_size=SIZE, image_rule=TORCHVISION_V2, progress=False)
    got = _arrays(getattr(source, split))
    _, want = read_images([str(p) for p in _files(dataset, name)], SIZE, rule=TORCHVISION_V2)
    assert got.shape == want.shape == (2 * len(SHAPES), *SIZE, 3)
    assert np.abs(got - want).max() <= 3.0


def test_without_a_rule_the_whole_image_is_resized_as_before(dataset):
    import tensorflow as tf

    source = load_folder(str(dataset), image_size=SIZE, progress=False)
    got = _arrays(source.validation)
    first = np.asarray(Image.open(_files(dataset, "val")[0]).convert("RGB"), np.float32)
    assert np.allclose(got[0], tf.image.resize(first, SIZE).numpy(), atol=1e-3)
    whole = load_folder(str(dataset), image_size=SIZE, image_rule=WHOLE, progress=False)
    assert np.array_equal(_arrays(whole.validation), got)
