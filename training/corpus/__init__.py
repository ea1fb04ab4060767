"""Corpus quality checks: schema, duplicates, leakage, balance, keyword baseline, label-review agreement."""
