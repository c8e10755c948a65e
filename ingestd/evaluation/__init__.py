"""Evaluation of ingestd's matcher on a labelled syndication corpus.

``ingestd eval`` reads a pre-rendered corpus (:mod:`ingestd.evaluation.rendered`),
shipped with the package; the generator that renders it from the spec files
is test tooling (``tests/support/corpus.py``).
"""
