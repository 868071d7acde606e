"""Beacon's log files: the two streams, rotation, the cross-process lock, the writers.

`names` (file names and default directories), `jsonl` (one rotated file shared by several
processes), `lines` (events serialized and routed to their stream), `writer` (the
collector's threaded group-commit writer), `direct` (the synchronous writer of
command-line producers and `beacon-hooks`) and `durable` (whole writes, fsyncs and private
directories, for these and Beacon's other files). Submodules load on use: the hook path must not
pay for the threaded writer.
"""
