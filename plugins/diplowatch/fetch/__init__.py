"""Fetching over HTTP: politeness (robots.txt, per-host limits), retries, size caps, SSRF guard, raw archive.

Modules: `http` (HttpClient, FetchResult), `guard` (which URLs may be fetched), `archive` (raw bodies on disk).
"""
