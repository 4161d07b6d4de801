"""Where data comes from: sensors, sessions, recordings and files.

BLE sensor families (bleak), multi-sensor sessions, the recorder, file formats (canonical and
vendor CSV) and virtual sensors. Imports ``analysis``, never ``cli``.
"""
