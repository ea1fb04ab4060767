"""The ``claims demo`` page: paste an article or upload a file, see who accuses, denies and reassures.

Built on ``inference`` only (one ``Classifier``, ``predict_document``); Gradio is needed by ``demo.app`` alone
(``pip install "claims-fr[demo]"``), so ``analysis``, ``render`` and ``summary`` import without it.
"""
