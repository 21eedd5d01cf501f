"""osce-kg: OSCE press releases as a linked-data knowledge graph.

The pipeline, one module per stage: ingest → extract → map → validate → publish → serve.
"""

__version__ = "0.1.0"
