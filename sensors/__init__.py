"""Where data comes from: BLE sensor families (bleak), multi-sensor sessions, the recorder,
file formats (canonical and vendor CSV) and virtual sensors. Imports ``analysis``, never ``cli``.
"""
