"""Pure computation on IMU arrays and DataFrames.

The rooms: time base, orientation, calibration, joint angles, the nerve-friendly envelope,
simulation and report building.

Nothing here opens a socket, imports ``bleak``/``asyncio`` or the ``sensors`` package; file
I/O is the job of ``sensors`` (formats) and ``cli`` (paths).
"""
