"""`python -m keras_resnet` runs the `keras-resnet` command."""

import sys

from keras_resnet.cli import main

sys.exit(main())
