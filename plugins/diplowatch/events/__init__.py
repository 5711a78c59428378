"""Diplomatic events: the record, the taxonomy, extraction from text, dedup."""
