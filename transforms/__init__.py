"""Transforms: standardize source records, resolve customers, compute segments."""
