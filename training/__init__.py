"""Training side of the claim classifier: data, configs, model building, Trainer, evaluation."""
