"""Evaluation of ingestd's matcher: a labelled syndication corpus to score it on.

The corpus builder lives in :mod:`ingestd.evaluation.corpus`.
"""
