"""Classify images with any model this package makes: a run folder, a `.keras` file, an exported
SavedModel or `.tflite` file, or a named model with pretrained weights (`resnet50:torchvision`)."""
