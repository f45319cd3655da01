"""Measuring detection: labelled corpora (generated and public) and their scores.

`corpus.generate(seed)` makes labelled flows in many SDK payload styles with
random values; `fukuda.load(path)` reads the public Fukuda et al. PII-leakage
set as flows; `metrics` counts true and false positives per entity and
encoding. `benchmarks/detection.py` prints the figures.
"""
