"""Ingest: a CSV or Parquet file becomes one batch of a model, whole or not at all.

`files` reads the bytes (format, compression, hash, reader errors); `roles` turns column names
and values into roles and kinds; `pipeline` validates and stores the batch in one transaction.
"""
