"""Training side of the claim classifier.

The core training path lives here (config, rows, splits, data, tokenizer, model, prior (French word vectors
for a from-scratch encoder), loss, trainer, train, card, CLI); ``evaluation/`` holds metrics and reports,
``corpus/`` the bundled corpus's checks and ``claims check-data`` for a user's files, ``deploy/`` ONNX export
and batch prediction.
"""
