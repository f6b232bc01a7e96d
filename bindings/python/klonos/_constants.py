"""Enumerations of the C API (status.h, reader.h), hard-coded as the header allows.

The numeric values are stable for the whole 0.x/1.x series, so they are
spelled out here rather than read from the library.
"""

import enum

#: Standard gravity in m/s^2 used for every g -> m/s^2 conversion (KLONOS_STANDARD_GRAVITY_MPS2).
STANDARD_GRAVITY_MPS2 = 9.80665


class Status(enum.IntEnum):
    """klonos_status: 0 is success, errors are negative."""

    OK = 0
    E_INVAL = -1
    E_NOMEM = -2
    E_IO = -3
    E_FORMAT = -4
    E_CORRUPT = -5
    E_CHANNELS = -6
    E_RATE = -7
    E_VALUE = -8
    E_TIME = -9
    E_EMPTY = -10
    E_STATE = -11
    E_NOT_ENABLED = -12
    E_NODATA = -13
    E_RANGE = -14


class Format(enum.IntEnum):
    """klonos_format: file formats."""

    AUTO = 0
    SNDFILE = 1
    OMCONVERT = 2
    CSV = 3
    CWA = 4
    GENEACTIV = 5
    GT3X = 6
    EDF = 7


class GapFill(enum.IntEnum):
    """klonos_gap_fill: how seconds the device did not record are filled (ActiGraph idle sleep)."""

    DEFAULT = 0
    NAN = 1
    LAST = 2
    ZERO = 3


class Units(enum.IntEnum):
    """klonos_units: units of stored values."""

    AUTO = 0
    G = 1
    MPS2 = 2
    MG = 3
    DPS = 10
    RADPS = 11


class Role(enum.IntEnum):
    """klonos_channel_role: role of a source channel."""

    IGNORED = 0
    ACC_X = 1
    ACC_Y = 2
    ACC_Z = 3
    GYRO_X = 4
    GYRO_Y = 5
    GYRO_Z = 6
    TIME = 7
    AUX = 8


class NoticeKind(enum.IntEnum):
    """klonos_notice_kind: kinds of non-fatal findings."""

    GAP = 1
    BAD_BLOCK = 2
    CLIPPED = 3
    OTHER = 4


#: Names of the output frame channels, in frame order (acc in m/s^2, gyro in rad/s).
FRAME_CHANNEL_NAMES = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")

# Spellings accepted by klonos.open(); they follow the CLI's --units,
# --gyro-units and --input-format values plus the library's own names.
ACC_UNIT_NAMES = {
    "auto": Units.AUTO, "g": Units.G, "mps2": Units.MPS2, "m/s^2": Units.MPS2, "mg": Units.MG,
}
GYRO_UNIT_NAMES = {
    "auto": Units.AUTO, "dps": Units.DPS, "deg/s": Units.DPS, "rads": Units.RADPS, "rad/s": Units.RADPS,
}
FORMAT_NAMES = {
    "auto": Format.AUTO, "sndfile": Format.SNDFILE, "wav": Format.SNDFILE,
    "omconvert-wav": Format.OMCONVERT, "omconvert": Format.OMCONVERT,
    "csv": Format.CSV, "cwa": Format.CWA, "geneactiv": Format.GENEACTIV, "gt3x": Format.GT3X,
    "edf": Format.EDF,
}
GAP_FILL_NAMES = {
    "default": GapFill.DEFAULT, "nan": GapFill.NAN, "last": GapFill.LAST, "zero": GapFill.ZERO,
}


class State(enum.IntEnum):
    """klonos_state: activity states of the analyzer (docs/conditioning.md)."""

    MISSING = 0
    NONWEAR = 1
    LYING = 2
    UPRIGHT_STILL = 3
    WALKING = 4
    OTHER = 5


#: klonos_report_part bits: optional arrays of the JSON report.
REPORT_EVENTS = 1   # "events", "clusters", "tremor"
REPORT_BOUTS = 2    # "bouts", "sway_bouts", "gait_bouts"

#: klonos_scores.components_used bits, in the report's order.
SCORE_COMPONENTS = (("myoclonus", 1), ("stance", 2), ("gait", 4), ("function", 8))


class SynthRotation(enum.IntEnum):
    """klonos_synth_rotation: how the synthetic sensor is mounted."""

    NONE = 0
    RANDOM = 1
    EULER = 2


class SynthTruthKind(enum.IntEnum):
    """klonos_synth_truth_kind: kinds of ground-truth item."""

    BOUT = 1
    POSTURE_CHANGE = 2
    STEP = 3
    JERK = 4
    CLUSTER = 5
    TREMOR = 6
    FALL = 7
    NEAR_FALL = 8
    INTENTIONAL_SIT = 9


#: klonos_synth_fall_type names, as in the truth file (no C function names them).
SYNTH_FALL_TYPES = {1: "to_sitting", 2: "to_lying", 3: "topple"}


class SynthState(enum.IntEnum):
    """klonos_synth_state: states of synthetic bouts."""

    OTHER = 0
    LYING = 1
    SITTING = 2
    STANDING = 3
    WALKING = 4
    NONWEAR = 5


#: klonos_synth_sample_format by name (the CLI's --sample-format values).
SYNTH_SAMPLE_FORMATS = {"auto": 0, "float": 1, "int16": 2}
