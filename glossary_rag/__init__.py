"""Glossary RAG: answer questions about a glossary with cited, retrieved entries.

The public surface is small: `Settings` for configuration, `Engine` to load everything once and answer,
and the data types it returns (`Hit`, `Answer`, `Citation`).
"""

from glossary_rag.settings import Settings

__all__ = ["Settings"]
