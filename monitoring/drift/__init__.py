"""Drift: is the world still the one the model learned from?

`methods` holds the statistics (pure functions over bin and category counts) and the registry
that says where each applies; `calibration` draws lines from reference chunks; `multivariate`
tells reference rows from window rows; `section` builds the report's drift records.
"""
