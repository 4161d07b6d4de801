"""The command line: argv, files, asyncio.run and exit codes.

The only place that composes ``sensors`` and ``analysis``.
"""
