"""The one exception tree of stretchguard.

Every error a user can cause derives from :class:`StretchguardError`; the CLI prints its
message on one line and exits non-zero (``cli.main``). It lives in ``analysis`` because that
is the lowest layer (imports point ``cli -> sensors -> analysis``); ``sensors.errors`` adds
the device family on the same base::

    StretchguardError
    ├── DataError                  input data that cannot be used as given
    │   ├── RecordingFormatError   a file breaks its format (names file, line, column)
    │   ├── TimebaseError          time stamps that cannot be put on one clock
    │   ├── InsufficientDataError  too little data for the requested step
    │   └── CalibrationError       no usable stand / functional movement
    ├── ConfigError                a profile, mapping or option that is invalid
    ├── OutputExistsError          refusing to overwrite a file (also a FileExistsError)
    └── SensorError                (sensors.errors) BLE devices and packets
        ├── DeviceNotFoundError
        ├── ConnectionLostError
        └── PacketDecodeError
"""

from __future__ import annotations

from pathlib import Path


class StretchguardError(Exception):
    """Base of every error stretchguard raises on purpose."""


class DataError(StretchguardError):
    """Input data that cannot be used as given."""


class RecordingFormatError(DataError):
    """A file breaks its format contract.

    The message reads ``FILE:LINE: column 'COL': what is wrong; expected ...`` so a user can
    open the file at the right place. ``line`` is 1-based and counts the header line.
    """

    def __init__(
        self,
        path: str | Path | None,
        message: str,
        *,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.path = None if path is None else Path(path)
        self.line = line
        self.column = column
        self.detail = message
        where = str(self.path) if self.path is not None else "<data>"
        if line is not None:
            where += f":{line}"
        col = f"column '{column}': " if column is not None else ""
        super().__init__(f"{where}: {col}{message}")


class TimebaseError(DataError):
    """Time stamps that cannot be put on one clock (non-monotonic, jumps, no overlap)."""


class InsufficientDataError(DataError):
    """Too little data for the requested computation."""


class CalibrationError(DataError):
    """No usable calibration (quiet stand or functional movements) in a session."""


class ConfigError(StretchguardError):
    """A profile, sensor mapping or option that is invalid."""


class OutputExistsError(StretchguardError, FileExistsError):
    """Refusing to overwrite an existing file: a user's recording is never overwritten."""

    def __init__(self, path: str | Path, reason: str | None = None) -> None:
        self.path = Path(path)
        super().__init__(
            f"{self.path}: {reason}"
            if reason
            else f"{self.path}: already exists; refusing to overwrite it (choose a new name)"
        )
