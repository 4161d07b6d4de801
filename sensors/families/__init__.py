"""BLE sensor families' wire formats: pure codecs (see ``sensors.families.base``).

The registry (``CODECS``, :func:`codec_for`, :func:`identify`) lands with the family modules.
"""
