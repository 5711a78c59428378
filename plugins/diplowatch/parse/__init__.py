"""Parsing fetched bytes: feeds into entries, pages into articles; URL canonicalisation; near-duplicates.

Modules: `feeds`, `articles`, `urls`, `dedup`, `errors`. Pure functions, no I/O.
"""
