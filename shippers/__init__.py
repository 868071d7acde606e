"""Checkpointed tailers that ship Beacon's JSONL streams to object stores and SIEMs."""

__all__: list[str] = []
