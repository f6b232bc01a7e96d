"""The results of one analysis: :class:`Result`.

A Result is a snapshot: everything is copied out of the C analyzer when the
Result is made, so it stays valid after the analyzer is closed, needs no
``close()``, can be pickled and shared between threads. Values are plain
Python: seconds, Hz, m/s^2 (units in the key names), None where the library
has no value (NaN in C, null in JSON).

The dicts use the names of the canonical JSON report (docs/report.md), so
``result.sway == result.to_dict()["sway"]`` when there is sway, and so on.
"""

import ctypes
import json
import math
import os
import weakref

from . import _types as T
from ._constants import REPORT_BOUTS, REPORT_EVENTS, SCORE_COMPONENTS, State, Status
from ._lib import lib, text
from .errors import InvalidArgumentError, StateError

#: Default score epoch of the report and of Result.epochs(), seconds.
DEFAULT_SCORE_EPOCH_S = 60.0

#: Sway metric fields in report order (JSON name = struct field).
SWAY_FIELDS = (
    "rms_ap_mps2", "rms_ml_mps2", "rms_mps2", "range_ap_mps2", "range_ml_mps2", "range_mps2",
    "mean_distance_mps2", "path_mps2", "path_per_s_mps3", "mean_velocity_mps", "jerk_m2ps5",
    "jerk_per_s_m2ps6", "ellipse_area_m2ps4", "prediction_ellipse_area_m2ps4", "mean_freq_hz",
    "total_power_m2ps4", "f50_hz", "f95_hz", "centroid_freq_hz", "freq_dispersion",
)

#: Gait metric fields in report order: (JSON name, struct field).
GAIT_FIELDS = (
    ("steps", "steps"), ("cadence_spm", "cadence_spm"), ("step_time_s", "step_time_s"),
    ("stride_time_s", "stride_time_s"), ("stride_time_cv", "stride_time_cv"),
    ("step_time_asymmetry", "step_time_asymmetry"), ("step_regularity", "step_regularity_v"),
    ("stride_regularity", "stride_regularity_v"), ("step_symmetry", "step_symmetry_v"),
    ("step_regularity_ap", "step_regularity_ap"), ("stride_regularity_ap", "stride_regularity_ap"),
    ("step_symmetry_ap", "step_symmetry_ap"), ("harmonic_ratio_v", "harmonic_ratio_v"),
    ("harmonic_ratio_ap", "harmonic_ratio_ap"), ("harmonic_ratio_ml", "harmonic_ratio_ml"),
    ("ml_rms_mps2", "ml_rms_mps2"), ("ml_range_mps2", "ml_range_mps2"),
)


def number(x):
    """x as a float, or None when it is NaN or infinite (JSON null)."""
    return x if math.isfinite(x) else None


def state_name(code):
    """Name of a klonos_state code ("upright_still"), "unknown" otherwise."""
    return text(lib.klonos_state_name(int(code)))


def score_epoch_argument(score_epoch):
    """The score epoch in seconds (None = 60); the library needs >= 1 s."""
    if score_epoch is None:
        return DEFAULT_SCORE_EPOCH_S
    if isinstance(score_epoch, bool) or not isinstance(score_epoch, (int, float)):
        raise TypeError("score_epoch must be a number of seconds, not %s" % type(score_epoch).__name__)
    value = float(score_epoch)
    if not (math.isfinite(value) and value >= 1.0):
        raise InvalidArgumentError(Status.E_INVAL, "score_epoch %g s: per-epoch scores need an epoch of 1 s or more"
                                   % value)
    return value


def _collect(handle, count_fn, get_fn, struct, raise_for):
    n = ctypes.c_size_t()
    rc = count_fn(handle, ctypes.byref(n))
    if rc != Status.OK:
        raise_for(rc)
    out = []
    item = struct()
    for i in range(n.value):
        rc = get_fn(handle, i, ctypes.byref(item))
        if rc != Status.OK:
            raise_for(rc)
        out.append(struct.from_buffer_copy(item))
    return out


def _epoch_dict(e):
    return {
        "start_s": e.start_s, "end_s": e.end_s, "wear_s": e.wear_s, "upright_still_s": e.upright_still_s,
        "walking_s": e.walking_s, "lying_s": e.lying_s, "events": e.events, "myoclonus": number(e.myoclonus),
        "stance": number(e.stance), "gait": number(e.gait), "motor": number(e.motor), "falls": e.falls,
    }


def read_epochs(handle, epoch_s, raise_for):
    """Per-epoch scores of a finished analyzer handle as a list of dicts."""
    n = ctypes.c_size_t()
    rc = lib.klonos_analyzer_epoch_count(handle, epoch_s, ctypes.byref(n))
    if rc != Status.OK:
        raise_for(rc)
    e = T.EpochScores()
    out = []
    for i in range(n.value):
        rc = lib.klonos_analyzer_epoch_get(handle, epoch_s, i, ctypes.byref(e))
        if rc != Status.OK:
            raise_for(rc)
        out.append(_epoch_dict(e))
    return out


def report_json(handle, context, raise_for):
    """klonos_analyzer_report_json() as a str (sized by a first call)."""
    needed = ctypes.c_size_t(0)
    rc = lib.klonos_analyzer_report_json(handle, ctypes.byref(context), None, 0, ctypes.byref(needed))
    if rc not in (Status.OK, Status.E_RANGE):
        raise_for(rc)
    buf = ctypes.create_string_buffer(needed.value)
    rc = lib.klonos_analyzer_report_json(handle, ctypes.byref(context), buf, needed.value, ctypes.byref(needed))
    if rc != Status.OK:
        raise_for(rc)
    return buf.value.decode("utf-8", "backslashreplace")


def _sway_dict(m, score, bouts=None):
    d = {}
    if bouts is None:  # one bout
        d["start_s"], d["end_s"] = m.start_s, m.end_s
    else:              # the summary
        d["bouts"], d["measured_s"] = bouts, m.duration_s
    for name in SWAY_FIELDS:
        d[name] = number(getattr(m, name))
    d["score"] = number(score) if score is not None else None
    if bouts is None:
        d["duration_s"] = m.duration_s
    return d


def _gait_dict(m, score, bouts=None):
    d = {}
    if bouts is None:
        d["start_s"], d["end_s"] = m.start_s, m.end_s
    else:
        d["bouts"], d["measured_s"] = bouts, m.duration_s
    for name, field in GAIT_FIELDS:
        v = getattr(m, field)
        d[name] = v if isinstance(v, int) else number(v)
    d["score"] = number(score) if score is not None else None
    if bouts is None:
        d["duration_s"] = m.duration_s
        d["strides"] = m.strides
    return d


def calibration_dict(calibration, status):
    """What the report says about calibration (None when not requested)."""
    if calibration is None:
        return None
    c = calibration
    d = {"applied": status == Status.OK}
    if status == Status.OK:
        d["offset_g"] = list(c.offset_g)
        d["scale"] = list(c.scale)
        d["error_after_mg"] = number(c.error_after_mg)
    else:
        d["reason"] = c.why.decode("utf-8", "backslashreplace")
    d["error_before_mg"] = number(c.error_before_mg)
    d["still_windows"] = c.still_windows
    return d


class Result:
    """The results of one analysis (made by klonos.analyze() or Analyzer.finish()).

    Attributes (all read at construction; the dicts use the report's names):
        json: the canonical JSON report (str), what ``klonos analyze --format
            json`` prints for the same input and options.
        file: the path as given, or None for in-memory samples.
        scores: {"motor", "myoclonus", "stance", "gait", "function"}: severity
            0..100, None when a component had no data.
        function: the report's "function" (falls, falls_per_upright_h
            (None when there was no upright time), upright/walking/lying %,
            walking bouts, ...).
        falls: falls and near-falls [{"kind", "impact_s", "start_s", "end_s",
            "impact_mps2", "from_state", "to_state", "lowered", "counted",
            "confidence"}].
        components: names of the components the motor score used.
        states: seconds per activity state: {"missing_s", "nonwear_s",
            "lying_s", "upright_still_s", "walking_s", "other_s"}.
        duration_s, wear_s: analysed and worn seconds.
        events_per_min: jerks per minute of wear (None under 1 min of wear).
        amp_median_mps2: median jerk peak acceleration (None without jerks).
        recording: the report's "recording" (format, rates, channels,
            duration, start time; the reader's counters for files).
        bouts: activity bouts [{"start_s", "end_s", "state",
            "mean_cadence_spm" (walking bouts; else None)}].
        events: jerks [{"onset_s", "offset_s", "peak_acc_mps2",
            "peak_jerk_mps3", "direction" [AP, ML, V unit vector], "state",
            "confidence" 0..1, "cluster" (id or None)}].
        clusters: [{"id", "start_s", "end_s", "count"}].
        tremor: [{"start_s", "end_s", "freq_hz", "amp_mps2"}].
        sway: duration-weighted summary of quiet-upright bouts (the report's
            "sway" keys), or None when no bout of 10 s or more.
        sway_bouts: per bout: "start_s", "end_s", the metrics, "score", "duration_s".
        gait: step-weighted summary of walking bouts (the report's "gait"
            keys), or None when no bout of 6 steps and 5 s.
        gait_bouts: per bout: "start_s", "end_s", the metrics, "score",
            "duration_s", "strides".
        calibration: the report's "calibration" (None unless calibration was
            requested or given).
        score_epoch_s: the report's per-epoch window in s.

    ``to_dict()`` parses ``json``; ``epochs(epoch_s)`` gives per-epoch scores.
    """

    def __init__(self):
        raise TypeError("Result objects come from klonos.analyze() or Analyzer.finish()")

    @classmethod
    def _from_handle(cls, owner, handle, *, file, info, stats, calibration, calibration_status, events, bouts,
                     score_epoch):
        """Snapshot of a finished analyzer handle (called with the owner's lock held)."""
        self = cls.__new__(cls)
        raise_for = owner._raise
        epoch_s = score_epoch_argument(score_epoch)
        include = (REPORT_EVENTS if events else 0) | (REPORT_BOUTS if bouts else 0)
        raw_file = None if file is None else os.fsencode(file)
        ctx = T.ReportContext()
        ctx.file = raw_file
        ctx.info = ctypes.pointer(info) if info is not None else None
        ctx.stats = ctypes.pointer(stats) if stats is not None else None
        ctx.calibration = ctypes.pointer(calibration) if calibration is not None else None
        ctx.calibration_status = calibration_status
        ctx.include = include
        ctx.score_epoch_s = epoch_s
        self.json = report_json(handle, ctx, raise_for)
        everything = REPORT_EVENTS | REPORT_BOUTS
        if include == everything:
            full = json.loads(self.json)
        else:
            ctx.include = everything
            full = json.loads(report_json(handle, ctx, raise_for))
        self.file = file
        self.score_epoch_s = epoch_s
        self.recording = full["recording"]
        self.calibration = calibration_dict(calibration, calibration_status)

        sc = T.Scores()
        rc = lib.klonos_analyzer_scores(handle, ctypes.byref(sc))
        if rc != Status.OK:
            raise_for(rc)
        self.scores = {"motor": number(sc.motor), "myoclonus": number(sc.myoclonus),
                       "stance": number(sc.stance), "gait": number(sc.gait), "function": number(sc.function)}
        self.components = [name for name, bit in SCORE_COMPONENTS if sc.components_used & bit]
        self.wear_s = sc.wear_s
        self.events_per_min = number(sc.events_per_min)
        self.amp_median_mps2 = number(sc.amp_median_mps2)

        seconds = ctypes.c_double()
        self.states = {}
        for state in State:
            rc = lib.klonos_analyzer_state_seconds(handle, int(state), ctypes.byref(seconds))
            if rc != Status.OK:
                raise_for(rc)
            self.states[state_name(state) + "_s"] = seconds.value
        rc = lib.klonos_analyzer_duration_s(handle, ctypes.byref(seconds))
        if rc != Status.OK:
            raise_for(rc)
        self.duration_s = seconds.value

        self.bouts = [{"start_s": b.start_s, "end_s": b.end_s, "state": state_name(b.state),
                       "mean_cadence_spm": b.mean_cadence_spm if b.state == State.WALKING else None}
                      for b in _collect(handle, lib.klonos_analyzer_bout_count, lib.klonos_analyzer_bout_get,
                                        T.Bout, raise_for)]
        self.events = [{"onset_s": e.onset_s, "offset_s": e.offset_s, "peak_acc_mps2": e.peak_acc_mps2,
                        "peak_jerk_mps3": e.peak_jerk_mps3, "direction": list(e.direction),
                        "state": state_name(e.state), "confidence": e.confidence,
                        "cluster": e.cluster_id if e.cluster_id >= 0 else None}
                       for e in _collect(handle, lib.klonos_analyzer_event_count, lib.klonos_analyzer_event_get,
                                         T.JerkEvent, raise_for)]
        self.clusters = [{"id": c.id, "start_s": c.start_s, "end_s": c.end_s, "count": c.count}
                         for c in _collect(handle, lib.klonos_analyzer_cluster_count,
                                           lib.klonos_analyzer_cluster_get, T.JerkCluster, raise_for)]
        self.function = full["function"]
        self.falls = full.get("falls", [])
        self.tremor = [{"start_s": t.start_s, "end_s": t.end_s, "freq_hz": t.freq_hz, "amp_mps2": t.amp_mps2}
                       for t in _collect(handle, lib.klonos_analyzer_tremor_count, lib.klonos_analyzer_tremor_get,
                                         T.TremorEpisode, raise_for)]

        # Per-bout scores are only in the report (the score mappings are not exported).
        sway_scores = [b.get("score") for b in full.get("sway_bouts", [])]
        gait_scores = [b.get("score") for b in full.get("gait_bouts", [])]
        sway = _collect(handle, lib.klonos_analyzer_sway_count, lib.klonos_analyzer_sway_get, T.SwayMetrics,
                        raise_for)
        gait = _collect(handle, lib.klonos_analyzer_gait_count, lib.klonos_analyzer_gait_get, T.GaitMetrics,
                        raise_for)
        self.sway_bouts = [_sway_dict(m, sway_scores[i] if i < len(sway_scores) else None)
                           for i, m in enumerate(sway)]
        self.gait_bouts = [_gait_dict(m, gait_scores[i] if i < len(gait_scores) else None)
                           for i, m in enumerate(gait)]
        self.sway = self._summary(handle, lib.klonos_analyzer_sway_summary, T.SwayMetrics, _sway_dict,
                                  sc.stance, len(sway), raise_for)
        self.gait = self._summary(handle, lib.klonos_analyzer_gait_summary, T.GaitMetrics, _gait_dict,
                                  sc.gait, len(gait), raise_for)

        # Per-epoch scores: the report's, and the default 60 s ones.
        self._epochs = {DEFAULT_SCORE_EPOCH_S: read_epochs(handle, DEFAULT_SCORE_EPOCH_S, raise_for)}
        if epoch_s not in self._epochs:
            self._epochs[epoch_s] = read_epochs(handle, epoch_s, raise_for)
        self._owner = weakref.ref(owner)
        return self

    @staticmethod
    def _summary(handle, fn, struct, to_dict, score, count, raise_for):
        m = struct()
        rc = fn(handle, ctypes.byref(m))
        if rc == Status.E_NODATA:
            return None
        if rc != Status.OK:
            raise_for(rc)
        return to_dict(m, score, count)

    # -- access ---------------------------------------------------------------

    def to_dict(self):
        """The JSON report parsed (a new dict each call); keys in docs/report.md."""
        return json.loads(self.json)

    def epochs(self, epoch_s=DEFAULT_SCORE_EPOCH_S):
        """Per-epoch scores every ``epoch_s`` seconds (>= 1) as a list of dicts:
        start_s, end_s, wear_s, upright_still_s, walking_s, lying_s, events,
        myoclonus, stance, gait, motor (None = no data in that epoch).

        60 s and the report's score epoch are always available. Other lengths
        are computed by the analyzer that made this Result, so only while it
        is open (klonos.Analyzer before close(); klonos.analyze() closes its
        own: pass score_epoch= to it instead).
        """
        epoch_s = score_epoch_argument(epoch_s)
        cached = self._epochs.get(epoch_s)
        if cached is None:
            owner = self._owner() if self._owner is not None else None
            if owner is None or owner.closed:
                raise StateError(Status.E_STATE,
                                 "epochs(%g): the analyzer is closed; %s s epochs are available, or pass "
                                 "score_epoch=%g to klonos.analyze()" % (
                                     epoch_s, " and ".join("%g" % k for k in sorted(self._epochs)), epoch_s))
            cached = self._epochs[epoch_s] = owner._epochs(epoch_s)
        return [dict(e) for e in cached]

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_owner"] = None  # the analyzer stays behind
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __repr__(self):
        s = self.scores
        fmt = lambda v: "n/a" if v is None else "%.0f" % v  # noqa: E731
        return "<klonos.Result %s: %.0f s, %d jerks, motor %s (myoclonus %s, stance %s, gait %s)>" % (
            self.file if self.file is not None else "<samples>", self.duration_s, len(self.events),
            fmt(s["motor"]), fmt(s["myoclonus"]), fmt(s["stance"]), fmt(s["gait"]))


