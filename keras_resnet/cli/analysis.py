"""`keras-resnet lesion` and `keras-resnet landscape`: why residual nets work, on trained nets."""

from __future__ import annotations


def add_commands(subparsers) -> None:
    _add_lesion_command(subparsers)
    _add_landscape_command(subparsers)


def _add_target_arguments(parser, *, split: str, examples: int | None) -> None:
    parser.add_argument(
        "targets", nargs="+", metavar="RUN_DIR|MODEL.keras", help="run folders or .keras files"
    )
    parser.add_argument("--dataset", help="dataset spec (default: the run's; required for a .keras file)")
    parser.add_argument("--split", default=split, help=f"train, validation or test (default {split})")
    parser.add_argument(
        "--examples",
        type=int,
        default=examples,
        help=f"use the first N images of the split (default {examples or 'all'})",
    )
    parser.add_argument("--checkpoint", default="last", help="last (default) or best, for a run folder")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0, help="seed of the random draws (default 0)")
    parser.add_argument("--verbose", type=int, choices=(0, 1), default=1, help="progress bar (default 1)")


def _add_lesion_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "lesion",
        help="delete residual units at test time and measure the error (Veit et al. 2016)",
        description="Test error after deleting each single unit's branch (its shortcut stays), and "
        "against the number of units deleted at random. Plain nets: a shape-keeping unit is deleted "
        "by passing its input straight on; downsampling plain units cannot be deleted. Writes "
        "lesion_single.png, lesion_random.png, lesion.json and lesion.md into --out.",
    )
    _add_target_arguments(parser, split="test", examples=None)
    parser.add_argument("--draws", type=int, default=5, help="random draws per count (default 5)")
    parser.add_argument(
        "--counts",
        type=int,
        nargs="+",
        help="numbers of units to delete at random (default 1 to all non-downsampling)",
    )
    parser.add_argument("--out", default="lesion", help="folder for the figures and tables (default lesion)")
    parser.set_defaults(func=_run_lesion)


def _run_lesion(args) -> None:
    from keras_resnet.experiments.lesion import run_lesion

    result = run_lesion(
        args.targets,
        out=args.out,
        dataset=args.dataset,
        split=args.split,
        examples=args.examples,
        draws=args.draws,
        counts=args.counts,
        seed=args.seed,
        batch_size=args.batch_size,
        checkpoint=args.checkpoint,
        verbose=args.verbose,
    )
    print(result["table"])
    for study in result["studies"].values():
        if study["kind"] == "plain":
            print(f"note: {study['label']}: {study['deletion']}")
    print(f"wrote {', '.join(result['figures'].values())}, {args.out}/lesion.json and {args.out}/lesion.md")


def _add_landscape_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "landscape",
        help="loss around the trained weights along filter-normalised directions (Li et al. 2018)",
        description="Evaluate the loss (cross-entropy, inference mode) on a grid around the trained "
        "weights along random filter-normalised directions (biases and BatchNorm parameters fixed). "
        "Writes landscape.png, landscape_1d.png, landscape.csv, landscape.json and summary.txt per "
        "net into --out/NAME, and landscape_pair.png for several nets.",
    )
    _add_target_arguments(parser, split="train", examples=512)
    parser.add_argument("--grid", type=int, default=21, help="points per axis, odd, >= 3 (default 21)")
    parser.add_argument("--span", type=float, default=1.0, help="the grid covers [-span, span] (default 1)")
    parser.add_argument("--1d", dest="one_d", action="store_true", help="one direction only (a 1-D slice)")
    parser.add_argument("--out", default="landscape", help="folder for the results (default landscape)")
    parser.set_defaults(func=_run_landscape)


def _run_landscape(args) -> None:
    from keras_resnet.experiments.landscape import run_landscape

    result = run_landscape(
        args.targets,
        out=args.out,
        dataset=args.dataset,
        split=args.split,
        examples=args.examples,
        grid=args.grid,
        span=args.span,
        one_d=args.one_d,
        seed=args.seed,
        batch_size=args.batch_size,
        checkpoint=args.checkpoint,
        verbose=args.verbose,
    )
    print(result["summary"])
    written = [f for r in result["results"].values() for f in r["figures"]]
    if result["pair"]:
        written.append(result["pair"])
    print(f"wrote {', '.join(written)} (and landscape.csv, landscape.json, summary.txt per net)")
