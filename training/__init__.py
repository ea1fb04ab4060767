"""Training side of the claim classifier.

The core training path lives here (config, data, tokenizer, model, loss, trainer, train, card, CLI);
``evaluation/`` holds metrics and reports, ``corpus/`` the corpus checks, ``deploy/`` ONNX export and
batch prediction.
"""
