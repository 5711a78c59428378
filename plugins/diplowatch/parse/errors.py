"""Exceptions raised by the parse room; each carries a one-line, human-readable message."""

from __future__ import annotations


class ParseError(Exception):
    """A page could not be turned into an article (undecodable, no article text...)."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class FeedError(ParseError):
    """A feed document was refused (entity declarations) or is not a feed at all."""
