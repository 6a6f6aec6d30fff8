"""What checking a folder dataset's images costs, against one epoch of decoding them for training.

Run: python examples/scripts/image_verdicts_cost.py [--images 5000] [--out examples/results]
Generates a folder of JPEGs (random sizes from 128 to 256 px, smooth content with noise, several
classes) in a temporary folder, then times, on the same files:
  - the first check: listing the folder and fully decoding every image (`data.verdicts`, threads);
  - a cached check: the same call again (each file's size and time looked up, nothing decoded);
  - one epoch's image decoding by the training pipeline (`data.folders`, resized to --size, the
    second of two passes, so tf.data's tracing is not counted);
and, for the design choices behind them: the first check with a process pool and serially, and an
epoch decoded by Pillow through `tf.numpy_function` instead of TensorFlow's decoder (with the
largest pixel difference between the two decoders). Goal: first check no more than one epoch's
decoding, cached check under 5 % of it. Writes image_verdicts.{json,md}. Each figure is the best
of --repeats runs (the first check starts from an empty cache each time). Files are warm in the
page cache for every timing (they were just written), so this measures decoding, not the disk.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from keras_resnet._utils.atomic import write_json, write_text
from keras_resnet._utils.provenance import provenance
from keras_resnet.data import folders, images, verdicts


def make_folder(root: Path, count: int, classes: int, seed: int = 0) -> None:
    """`count` JPEGs of 128-256 px (quality 90) spread over `classes` class folders."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    for i in range(count):
        height, width = (int(v) for v in rng.integers(128, 257, 2))
        y, x = np.mgrid[0:height, 0:width].astype(np.float32)
        phase = rng.uniform(0, 6.28, 3)
        base = np.stack([127 + 100 * np.sin(x / (10 + 7 * c) + y / 23 + phase[c]) for c in range(3)], -1)
        pixels = np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)
        folder = root / f"class{i % classes}"
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(folder / f"{i:05d}.jpg", quality=90)


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def best(repeats: int, function, *args, **kwargs):
    """(fastest seconds, last result) of `repeats` calls."""
    runs = [timed(function, *args, **kwargs) for _ in range(repeats)]
    return min(seconds for seconds, _ in runs), runs[-1][1]


def first_check(root: Path, cache: Path):
    shutil.rmtree(cache, ignore_errors=True)  # an empty cache: every image is decoded
    return check(root)


def check(root: Path):
    files = folders._list_folder(root)
    return files, verdicts.check_images(files.paths, root=root, progress=False)


def pool_check(paths, pool_class) -> None:
    with pool_class(max_workers=verdicts._cores()) as pool:
        list(pool.map(images.check_image, paths, chunksize=64))


def epoch_seconds(dataset, repeats: int, batch: int = 128) -> float:
    """Seconds of the fastest full pass over `dataset` (batched, prefetched, as training reads it)
    after a first pass that traces the map functions."""
    import tensorflow as tf

    batches = dataset.batch(batch).prefetch(tf.data.AUTOTUNE)
    for _ in batches:  # first pass: traces the map functions
        pass
    return best(repeats, lambda: [None for _ in batches])[0]


def pillow_dataset(files, size):
    """The training decode with every file read by Pillow (`tf.numpy_function`), for comparison."""
    pretend = dict.fromkeys(files.paths, "WEBP")  # any format TensorFlow's decoder is not used for
    return folders._image_dataset(files, size, pretend)


def largest_decoder_difference(paths, sample: int = 50) -> int:
    import tensorflow as tf

    return max(
        int(
            np.abs(
                tf.io.decode_image(tf.io.read_file(str(p)), channels=3).numpy().astype(int)
                - images.decode_image(p)
            ).max()
        )
        for p in paths[:sample]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--classes", type=int, default=5)
    parser.add_argument(
        "--size", type=int, default=folders.FOLDER_DEFAULT_IMAGE_SIZE[0], help="training resize"
    )
    parser.add_argument("--repeats", type=int, default=3, help="each figure is the best of this many")
    parser.add_argument("--out", type=Path, default=Path("examples/results"))
    args = parser.parse_args()
    repeats = max(1, args.repeats)

    with tempfile.TemporaryDirectory(prefix="image-verdicts-") as work:
        root, cache = Path(work, "photos"), Path(work, "cache")
        os.environ[verdicts.CACHE_ENV] = str(cache)
        make_folder(root, args.images, args.classes)
        first, (files, checked) = best(repeats, first_check, root, cache)
        assert checked.decoded == args.images and not checked.bad, "the generated images must all decode"
        cached, (_, again) = best(repeats, check, root)
        assert again.decoded == 0, "the second check must come from the cache"
        listing, _ = best(repeats, folders._list_folder, root)  # any loader lists the folder
        lookup, _ = best(repeats, verdicts.check_images, files.paths, root=root, progress=False)
        processes, _ = best(repeats, pool_check, files.paths, concurrent.futures.ProcessPoolExecutor)
        serial, _ = best(repeats, lambda: [images.check_image(p) for p in files.paths])
        size = (args.size, args.size)
        epoch = epoch_seconds(folders._image_dataset(files, size, checked.formats), repeats)
        pillow_epoch = epoch_seconds(pillow_dataset(files, size), repeats)
        difference = largest_decoder_difference(files.paths)
        megabytes = sum(p.stat().st_size for p in files.paths) / 1e6

    result = {
        "images": args.images,
        "classes": args.classes,
        "megabytes": round(megabytes, 1),
        "training_resize": list(size),
        "workers": verdicts._cores(),
        "repeats": repeats,
        "first_check_s": first,
        "cached_check_s": cached,
        "epoch_decode_s": epoch,
        "first_check_over_epoch": first / epoch,
        "cached_check_over_epoch": cached / epoch,
        "folder_listing_s": listing,
        "cached_lookup_without_listing_s": lookup,
        "cached_lookup_over_epoch": lookup / epoch,
        "goal_first_check_at_most_one_epoch": first <= epoch,
        "goal_cached_under_5_percent": cached < 0.05 * epoch,
        "first_check_processes_s": processes,
        "first_check_serial_decode_s": serial,
        "epoch_decode_pillow_numpy_function_s": pillow_epoch,
        "largest_pixel_difference_tensorflow_vs_pillow_jpeg": difference,
        "provenance": provenance(),
    }
    lines = [
        f"Image check of a generated folder: {args.images:,} JPEGs (128-256 px, {megabytes:.0f} MB, "
        f"{args.classes} classes), {result['workers']} cores, files warm in the page cache, best of "
        f"{repeats} runs.",
        "",
        "| what | seconds | of one epoch's decoding |",
        "|---|---:|---:|",
        f"| first check (list + full decode, {result['workers']} threads) | {first:.2f} | {first / epoch:.0%} |",
        f"| cached check (list + size and time of each file) | {cached:.3f} | {cached / epoch:.1%} |",
        f"| of which the folder listing every loader does | {listing:.3f} | {listing / epoch:.1%} |",
        f"| the cache lookup alone (the check's own cost) | {lookup:.3f} | {lookup / epoch:.1%} |",
        f"| one epoch's decoding by the training pipeline (resize {args.size}x{args.size}) | {epoch:.2f} | 100% |",
        f"| first check with {result['workers']} processes instead of threads | {processes:.2f} | {processes / epoch:.0%} |",
        f"| first check's decoding, one thread | {serial:.2f} | {serial / epoch:.0%} |",
        f"| epoch decoded by Pillow (tf.numpy_function) instead of TensorFlow | {pillow_epoch:.2f} | {pillow_epoch / epoch:.0%} |",
        "",
        f"Goals: first check no more than one epoch's decoding: {'met' if first <= epoch else 'NOT met'}; "
        f"cached check under 5 % of it: {'met' if cached < 0.05 * epoch else 'NOT met'} with the listing, "
        f"{'met' if lookup < 0.05 * epoch else 'NOT met'} for the lookup alone. "
        f"TensorFlow's and Pillow's JPEG decoders differ by up to {difference} levels per pixel, so training "
        "keeps TensorFlow's decoder for JPEG, PNG, GIF and BMP (its results stay comparable) and uses "
        "Pillow only for the formats TensorFlow cannot read (WebP, TIFF, ...).",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    write_text(args.out / "image_verdicts.md", text)
    write_json(args.out / "image_verdicts.json", result)


if __name__ == "__main__":
    main()
