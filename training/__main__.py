"""``python -m training --config FILE ...``: the same as ``claims train``."""

import argparse
import logging
import sys

from .cli import add_train_arguments, run_train

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
parser = argparse.ArgumentParser(prog="python -m training", description="fine-tune a claim classifier")
add_train_arguments(parser)
sys.exit(run_train(parser.parse_args()))
