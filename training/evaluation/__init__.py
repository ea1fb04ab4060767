"""Evaluation and reports: metrics with confidence intervals, calibration, significance tests, baselines, plots."""
