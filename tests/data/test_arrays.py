"""The NumPy input pipeline: the tf.data pipeline's twin for in-memory datasets, without TensorFlow.

Same images, splits, statistics and augmentation rule as tf.data; its own seeded random stream.
"""

import numpy as np
import pytest

from keras_resnet.data import arrays, digits, sources
from keras_resnet.data import pipelines as data


def _concat(batches, item):
    return np.concatenate([batch[item] for batch in batches])


@pytest.fixture(scope="module")
def both():
    return {
        kind: data.load_datasets("digits", batch_size=128, seed=0, pipeline=kind)
        for kind in ("numpy", "tfdata")
    }


def test_both_pipelines_describe_the_same_data_and_yield_the_same_test_batches(both):
    numpy_info, tf_info = both["numpy"].info.to_dict(), both["tfdata"].info.to_dict()
    assert (numpy_info.pop("pipeline"), tf_info.pop("pipeline")) == ("numpy", "tfdata")
    assert numpy_info == tf_info  # classes, shape, sizes and the mean/std the model normalises with
    for split in ("test", "validation"):
        numpy_batches = list(data.numpy_batches(getattr(both["numpy"], split)))
        tf_batches = list(data.numpy_batches(getattr(both["tfdata"], split)))
        assert [len(b[0]) for b in numpy_batches] == [len(b[0]) for b in tf_batches]
        for item in (0, 1):
            np.testing.assert_array_equal(_concat(numpy_batches, item), _concat(tf_batches, item))
        assert numpy_batches[0][0].dtype == np.float32 and numpy_batches[0][1].dtype == np.int32


def test_digits_resized_in_numpy_match_tensorflows_bilinear_resize_exactly():
    import tensorflow as tf
    from sklearn.datasets import load_digits

    images = load_digits().images[..., None].astype("float32") * (255.0 / 16.0)
    expected = tf.image.resize(images, (32, 32), method="bilinear").numpy()
    np.testing.assert_array_equal(digits.resize_bilinear(images, (32, 32)), expected)


def test_training_batches_cover_every_image_once_per_epoch_reshuffled_and_seeded(both):
    train = both["numpy"].train
    split = sources.load_digits().train
    first_epoch = [train[i] for i in range(len(train))]
    assert len(train) == 10 and sum(len(b[1]) for b in first_epoch) == len(split) == 1257
    np.testing.assert_array_equal(np.sort(_concat(first_epoch, 1)), np.sort(split.labels))
    train.on_epoch_end()  # Keras calls this after each epoch
    second = train[0]
    assert not np.array_equal(first_epoch[0][0], second[0])
    again = data.load_datasets("digits", batch_size=128, seed=0, pipeline="numpy").train
    np.testing.assert_array_equal(again[0][0], first_epoch[0][0])  # the seed fixes every batch
    other = data.load_datasets("digits", batch_size=128, seed=1, pipeline="numpy").train
    assert not np.array_equal(other[0][0], first_epoch[0][0])


def test_augmentation_is_a_4_pixel_shifted_crop_with_zero_padding_and_mirrors_only_when_asked():
    image = np.arange(1, 8 * 8 + 1, dtype=np.float32).reshape(1, 8, 8, 1)
    images = np.repeat(image, 81, axis=0)
    offsets = np.array([(r, c) for r in range(9) for c in range(9)])
    crops = arrays.augment_batch(images, offsets, np.zeros(81, bool), pad=4)
    padded = np.pad(image[0], ((4, 4), (4, 4), (0, 0)))
    for (r, c), crop in zip(offsets, crops):
        np.testing.assert_array_equal(crop, padded[r : r + 8, c : c + 8])
    flipped = arrays.augment_batch(image, np.array([[4, 4]]), np.array([True]), pad=4)
    np.testing.assert_array_equal(flipped[0], image[0, :, ::-1])
    split = sources.ArraySplit(np.repeat(image.astype("uint8"), 64, axis=0), np.zeros(64, "int64"))
    no_flip = arrays.TrainBatches(split, batch_size=64, seed=0, augment=True, flip=False, pad=0)
    assert all(np.array_equal(x, image[0]) for x in no_flip[0][0])  # pad 0, no flip: unchanged
    with_flip = arrays.TrainBatches(split, batch_size=64, seed=0, augment=True, flip=True, pad=0)
    mirrored = [np.array_equal(x, image[0, :, ::-1]) for x in with_flip[0][0]]
    assert 10 < sum(mirrored) < 54  # about half


def test_eval_padding_makes_every_batch_divisible_and_marks_padding_with_weight_zero():
    split = sources.ArraySplit(np.zeros((9, 2, 2, 3), "uint8"), np.arange(9))
    batches = list(arrays.EvalBatches(split, batch_size=4, multiple=2))
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    weights = np.concatenate([b[2] for b in batches])
    assert weights.sum() == 9 and weights[-1] == 0


def test_the_shards_of_two_processes_make_up_each_global_batch():
    whole = data.load_datasets("digits", batch_size=64, seed=3, pipeline="numpy", drop_remainder=True)
    shards = [
        data.load_datasets(
            "digits", batch_size=64, seed=3, pipeline="numpy", drop_remainder=True, shard=(i, 2)
        )
        for i in range(2)
    ]
    assert len(shards[0].train) == len(whole.train) == 1257 // 64
    for index in (0, 7):
        parts = [shard.train[index] for shard in shards]
        assert [len(p[0]) for p in parts] == [32, 32]
        np.testing.assert_array_equal(np.concatenate([p[0] for p in parts]), whole.train[index][0])
    np.testing.assert_array_equal(shards[1].new_train()[0][0], whole.train[0][0])  # probe: whole batch


def test_one_hot_labels_for_label_smoothing_recipes(both):
    x, y = data.one_hot(both["numpy"].train, 10)[0]
    assert y.shape == (128, 10) and np.array_equal(y.argmax(axis=1), both["numpy"].train[0][1])


def test_auto_picks_tfdata_with_tensorflow_and_numpy_without(monkeypatch, tmp_path):
    assert data.load_datasets("synthetic:8x8x3:4", batch_size=32).info.pipeline == "tfdata"
    monkeypatch.setattr(data, "tensorflow_available", lambda: False)
    numpy_one = data.load_datasets("synthetic:8x8x3:4", batch_size=32)
    assert numpy_one.info.pipeline == "numpy" and numpy_one.train[0][0].shape == (32, 8, 8, 3)
    with pytest.raises(ValueError, match="the tfdata pipeline needs TensorFlow"):
        data.load_datasets("digits", pipeline="tfdata")


def test_streamed_datasets_refuse_the_numpy_pipeline(tmp_path):
    from PIL import Image

    for label in ("a", "b"):
        (tmp_path / label).mkdir()
        for i in range(4):
            Image.fromarray(np.full((8, 8, 3), i * 40, "uint8")).save(tmp_path / label / f"{i}.png")
    with pytest.raises(ValueError, match="the numpy pipeline needs an in-memory dataset"):
        data.load_datasets(f"folder:{tmp_path}", batch_size=2, pipeline="numpy")
    with pytest.raises(ValueError, match="pipeline must be one of"):
        data.load_datasets("digits", pipeline="torch")
