"""Dataset specs -> pipelines: shapes, splits, statistics, augmentation, and clear errors."""

import os
import subprocess
import sys

import numpy as np
import pytest

from keras_resnet.data import folders, sources
from keras_resnet.data import pipelines as data
from keras_resnet.errors import CorruptFileError, MissingFileError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _arrays(dataset):
    xs, ys = zip(*dataset.as_numpy_iterator())
    return np.concatenate(xs), np.concatenate(ys)


@pytest.fixture(scope="module")
def digits():
    return data.load_datasets("digits", batch_size=128, seed=0)


def test_digits_are_32x32x3_raw_pixels_split_train_val_test(digits):
    info = digits.info
    assert info.image_shape == (32, 32, 3) and info.classes == 10
    assert (info.train_examples, info.validation_examples, info.test_examples) == (1257, 180, 360)
    assert info.train_examples + info.validation_examples + info.test_examples == 1797
    x, y = _arrays(digits.test)
    assert x.dtype == np.float32 and y.dtype == np.int32
    assert x.min() == 0 and x.max() == 255  # un-normalised: the model normalises
    assert len(x) == 360 and not info.flip


def test_digits_split_is_stratified_and_fixed_whatever_the_seed(digits):
    _, y_test = _arrays(digits.test)
    assert set(np.bincount(y_test, minlength=10)) <= {35, 36, 37}  # ~36 per class
    other = data.load_datasets("digits", batch_size=128, seed=7)
    np.testing.assert_array_equal(_arrays(other.test)[0], _arrays(digits.test)[0])


def test_normalisation_statistics_are_the_training_split_channel_mean_and_std(digits):
    raw = sources.load_digits()
    x = raw.train.images.astype("float64")
    np.testing.assert_allclose(digits.info.mean, x.mean(axis=(0, 1, 2)), rtol=1e-6)
    np.testing.assert_allclose(digits.info.std, x.std(axis=(0, 1, 2)), rtol=1e-6)


def test_training_batches_are_shuffled_and_augmented_afresh_each_epoch(digits):
    first = next(iter(digits.train))[0].numpy()
    second = next(iter(digits.train))[0].numpy()
    assert first.shape == (128, 32, 32, 3)
    assert not np.array_equal(first, second)
    again = data.load_datasets("digits", batch_size=128, seed=0)
    np.testing.assert_array_equal(next(iter(again.train))[0].numpy(), first)  # seeded


def test_augmentation_is_a_4_pixel_shifted_crop_with_zero_padding():
    import tensorflow as tf

    image = tf.reshape(tf.range(1, 8 * 8 + 1, dtype=tf.float32), (8, 8, 1))
    crops = [data.augment_image(image, tf.constant([i, 0], tf.int64), flip=False).numpy() for i in range(40)]
    padded = np.pad(image.numpy(), ((4, 4), (4, 4), (0, 0)))
    windows = {padded[r : r + 8, c : c + 8].tobytes() for r in range(9) for c in range(9)}
    assert all(crop.tobytes() in windows for crop in crops)
    assert len({crop.tobytes() for crop in crops}) > 10


def test_flip_mirrors_left_right_only_when_asked():
    import tensorflow as tf

    image = tf.reshape(tf.range(16, dtype=tf.float32), (4, 4, 1))
    flipped = [
        data.augment_image(image, tf.constant([i, 1], tf.int64), flip=True, pad=0).numpy() for i in range(20)
    ]
    mirrored = image.numpy()[:, ::-1]
    assert any(np.array_equal(f, mirrored) for f in flipped)
    assert any(np.array_equal(f, image.numpy()) for f in flipped)


def test_eval_padding_makes_every_batch_divisible_and_marks_padding_with_weight_zero():
    import tensorflow as tf

    raw = tf.data.Dataset.from_tensor_slices((np.zeros((9, 2, 2, 3), "uint8"), np.arange(9)))
    batches = list(data.eval_pipeline(raw, batch_size=4, examples=9, multiple=2).as_numpy_iterator())
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    weights = np.concatenate([b[2] for b in batches])
    assert weights.sum() == 9 and weights[-1] == 0


def _write_npz(path, **overrides):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (40, 8, 8, 3), dtype=np.uint8),
        "y_train": np.arange(40) % 4,
        "x_test": rng.integers(0, 256, (12, 8, 8, 3), dtype=np.uint8),
        "y_test": np.arange(12) % 4,
    }
    arrays.update(overrides)
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return str(path)


def test_npz_loads_with_a_stratified_validation_cut(tmp_path):
    datasets = data.load_datasets(f"npz:{_write_npz(tmp_path / 'd.npz')}", batch_size=8)
    info = datasets.info
    assert (info.train_examples, info.validation_examples, info.test_examples) == (36, 4, 12)
    assert info.classes == 4 and info.image_shape == (8, 8, 3) and info.flip
    assert sorted(_arrays(datasets.validation)[1].tolist()) == [0, 1, 2, 3]


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"y_test": None}, "lacks arrays y_test"),
        ({"x_train": np.zeros((40, 8, 8, 3), "float32")}, "must be uint8"),
        ({"x_train": np.zeros((40, 8), "uint8")}, "must have shape (N, height, width, channels)"),
        ({"x_test": np.zeros((12, 9, 9, 3), "uint8")}, "x_test images are"),
        ({"y_train": np.arange(39) % 4}, "has 39 labels for 40 images"),
        ({"y_test": np.full(12, 7)}, "labels outside 0..3"),
        ({"y_train": -(np.arange(40) % 4)}, "labels outside"),
        ({"y_train": np.arange(40) * 0.5}, "integer class ids"),
    ],
)
def test_malformed_npz_is_refused_with_a_message_naming_the_problem(tmp_path, overrides, message):
    path = _write_npz(tmp_path / "bad.npz", **overrides)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        data.load_datasets(f"npz:{path}", batch_size=4)


def test_missing_or_corrupt_npz_is_refused(tmp_path):
    with pytest.raises(MissingFileError, match="npz file not found"):
        data.load_datasets(f"npz:{tmp_path / 'none.npz'}")
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"not a zip file at all")
    with pytest.raises(CorruptFileError, match="cannot read .* as an .npz archive"):
        data.load_datasets(f"npz:{corrupt}")


def _write_folder(root, classes=("cat", "dog", "eel"), per_class=10, size=8):
    from PIL import Image

    rng = np.random.default_rng(1)
    for name in classes:
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i:03d}.png")


def test_folder_of_class_subfolders_is_cut_into_three_stratified_splits(tmp_path):
    _write_folder(tmp_path / "images")
    datasets = data.load_datasets(f"folder:{tmp_path / 'images'}", batch_size=4, image_size=(8, 8))
    info = datasets.info
    assert info.class_names == ("cat", "dog", "eel") and info.image_shape == (8, 8, 3)
    assert (info.train_examples, info.validation_examples, info.test_examples) == (21, 3, 6)
    assert len(_arrays(datasets.test)[1]) == 6 and sorted(set(_arrays(datasets.test)[1])) == [0, 1, 2]
    train_images = {
        img.tobytes()
        for img in _arrays(
            data.eval_pipeline(
                folders.load_folder(str(tmp_path / "images"), image_size=(8, 8)).train, batch_size=32
            )
        )[0]
    }
    test_images = {img.tobytes() for img in _arrays(datasets.test)[0]}
    assert len(train_images) == 21 and not train_images & test_images


def test_folder_with_train_and_test_subfolders_uses_them(tmp_path):
    _write_folder(tmp_path / "ds" / "train", per_class=5)
    _write_folder(tmp_path / "ds" / "test", per_class=2)
    info = data.load_datasets(f"folder:{tmp_path / 'ds'}", batch_size=4, image_size=(8, 8)).info
    assert (info.train_examples + info.validation_examples, info.test_examples) == (15, 6)


def test_empty_folder_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no usable images"):
        data.load_datasets(f"folder:{tmp_path / 'empty'}", batch_size=4)
    with pytest.raises(MissingFileError, match="folder not found"):
        data.load_datasets(f"folder:{tmp_path / 'missing'}", batch_size=4)


def test_tfds_dataset_loads_through_tfds_with_mock_data(tmp_path):
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=24):
        datasets = data.load_datasets("tfds:cifar10", batch_size=8, data_dir=str(tmp_path))
        x, y = next(iter(datasets.train))
    assert datasets.info.classes == 10 and len(datasets.info.class_names) == 10
    assert x.shape == (8, 32, 32, 3) and y.dtype.name == "int32"


def test_tfds_dataset_that_is_not_prepared_says_where_to_put_it_without_downloading(tmp_path):
    with pytest.raises(MissingFileError, match=r"tfds:mnist is not prepared in .*mnist.*--data-dir"):
        data.load_datasets("tfds:mnist", data_dir=str(tmp_path))
    with pytest.raises(ValueError, match="unknown TensorFlow Datasets name"):
        data.load_datasets("tfds:no_such_dataset_here", data_dir=str(tmp_path))


def test_synthetic_data_has_the_requested_shape_and_classes():
    datasets = data.load_datasets("synthetic:16x16x3:7", batch_size=32)
    x, y = next(iter(datasets.train))
    assert x.shape == (32, 16, 16, 3) and int(np.max(y)) < 7 and datasets.info.classes == 7
    with pytest.raises(ValueError, match="synthetic:HxWxC"):
        data.load_datasets("synthetic:16x16", batch_size=8)


@pytest.mark.parametrize("spec", ["nope", "npz:", "folder:", "tfds:", "digits:extra", ""])
def test_unknown_dataset_spec_lists_the_valid_forms(spec):
    with pytest.raises(ValueError, match="dataset spec must be one of the forms digits, tfds:NAME, npz:PATH"):
        data.load_datasets(spec)


@pytest.mark.parametrize(
    "batch_size, message", [(0, "integer >= 1"), (-3, "integer >= 1"), (5000, "at most 1257")]
)
def test_batch_size_below_one_or_above_the_training_split_is_refused(batch_size, message):
    with pytest.raises(ValueError, match=message):
        data.load_datasets("digits", batch_size=batch_size)


@pytest.mark.slow
def test_importing_the_data_and_training_modules_does_not_import_tensorflow():
    code = (
        "import sys, keras_resnet.data.pipelines, keras_resnet.data.sources, keras_resnet.training.fit,"
        " keras_resnet.training.recipes, keras_resnet.training.run_folder,"
        " keras_resnet.training.distribution, keras_resnet.experiments.plots;"
        "assert 'tensorflow' not in sys.modules, 'tensorflow imported'"
    )
    env = {**os.environ, "PYTHONPATH": ROOT, "KERAS_BACKEND": "jax"}  # Keras on TF imports TF itself
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env)


def test_a_validation_fraction_of_zero_trains_on_everything_but_the_test_split():
    info = data.load_datasets("digits", batch_size=128, validation_fraction=0).info
    assert (info.train_examples, info.validation_examples, info.test_examples) == (1437, 0, 360)


def test_image_size_must_be_height_and_width(tmp_path):
    with pytest.raises(ValueError, match=r"image size must be two positive integers"):
        data.load_datasets("digits", image_size=(32, 32, 3))
