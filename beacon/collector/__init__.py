"""`beacon run`: the collector's lifecycle, listeners, health and metrics.

Submodules load on use (`service` pulls in grpc and aiohttp), so `beacon --help` stays fast.
"""
