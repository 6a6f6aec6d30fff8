"""`keras-resnet predict`: top-k class names and probabilities for images, from any model kind."""

from __future__ import annotations


def add_commands(subparsers) -> None:
    _add_predict_command(subparsers)


def _add_predict_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "predict",
        help="classify images with a run, .keras, SavedModel, .tflite or resnet50:torchvision",
        description=(
            "Print the top-k classes of each image. SOURCE: a run folder (its best.keras, else "
            "last.keras: the rule evaluate and export share), a .keras file, an export's "
            "SavedModel folder, a .tflite file, or MODEL:WEIGHTS such as resnet50:torchvision. Images "
            "of 128 px or more are resized shorter side to size/0.875 and centre-cropped (ImageNet's "
            "rule); smaller model inputs get the whole image resized. A .tflite file runs without "
            "TensorFlow or Keras (ai-edge-litert, Pillow, NumPy). Whether the model outputs "
            "probabilities or logits comes from the model, or from the outputs.json an export writes "
            "beside its files; for an older export without it, say which with --outputs."
        ),
    )
    parser.add_argument("source", metavar="SOURCE")
    parser.add_argument("images", metavar="IMAGE", nargs="+", help="image files or folders of images")
    parser.add_argument("--top", type=int, default=5, help="how many classes to show (default 5)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--outputs",
        choices=("probabilities", "logits"),
        help="what the model outputs, for an exported file without outputs.json (an older export); "
        "softmax is applied to logits",
    )
    parser.set_defaults(func=_run_predict)


def _run_predict(args) -> None:
    import json

    from keras_resnet.errors import InvalidInputError
    from keras_resnet.inference.predictor import load

    if args.top < 1:  # before loading anything
        raise InvalidInputError(f"--top must be an integer >= 1; got {args.top}")
    results = load(args.source, outputs=args.outputs).predict(args.images, top=args.top)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for result in results:
        print(result["image"])
        for rank, entry in enumerate(result["top"], start=1):
            print(f"  {rank}. {entry['label']:<30} {entry['probability']:.4f}")
