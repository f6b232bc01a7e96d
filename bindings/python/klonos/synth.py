"""Synthetic lower-back recordings with exact ground truth: :func:`synth`.

The library's deterministic generator (docs/synth.md): the same arguments
give the same frames and truth, in memory or on disk, and the files equal
``klonos synth`` byte for byte. Frames are in the SENSOR frame: acceleration
x, y, z in m/s^2 (specific force: gravity reads +9.80665 upward), then with
6 channels angular rate in rad/s. Truth directions are body-frame unit
vectors (V, AP, ML).
"""

import array
import ctypes
import math
import numbers
import os

from . import _types as T
from ._constants import SYNTH_FALL_TYPES, SYNTH_SAMPLE_FORMATS, Status, SynthRotation, SynthState, SynthTruthKind
from ._lib import lib, text
from .errors import InvalidArgumentError, error_for

_CHUNK_FRAMES = 65536
_ERROR_CAPACITY = 512
_DURATION_UNITS = {"s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
#: Settable fields of klonos_synth_params (everything but the reserved ones).
PARAM_NAMES = tuple(name for name, _ in T.SynthParams._fields_ if not name.startswith("reserved"))


def scenarios():
    """{name: one-line description} of every scenario, in code order."""
    out = {}
    code = 0
    while True:
        name = text(lib.klonos_synth_scenario_name(code))
        if name == "unknown":
            return out
        out[name] = text(lib.klonos_synth_scenario_description(code))
        code += 1


def _number(what, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError("%s must be a number, not %s" % (what, type(value).__name__))
    return float(value)


def _duration(value):
    """Seconds from a number or a string with a unit ("90s", "30m", "24h", "7d"), as the CLI's --duration."""
    if isinstance(value, str):
        text_value = value.strip()
        for unit in sorted(_DURATION_UNITS, key=len, reverse=True):
            if text_value.endswith(unit):
                number_part, mult = text_value[:-len(unit)], _DURATION_UNITS[unit]
                break
        else:
            number_part, mult = text_value, 1.0
        try:
            return float(number_part) * mult
        except ValueError:
            raise InvalidArgumentError(Status.E_INVAL, "duration: %r is not a duration (seconds, or a number "
                                       "with s, m, h or d)" % value) from None
    return _number("duration", value)


def _scenario(value):
    if isinstance(value, str):
        code = ctypes.c_int32()
        if lib.klonos_synth_scenario_from_name(value.encode("utf-8"), ctypes.byref(code)) != Status.OK:
            raise InvalidArgumentError(Status.E_INVAL, "scenario: unknown scenario %r; the scenarios are: %s"
                                       % (value, ", ".join(scenarios())))
        return code.value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError("scenario must be a name or an integer code, not %s" % type(value).__name__)
    return int(value)


def _rotation(cfg, value):
    if isinstance(value, str) and value in ("none", "random"):
        cfg.rotation = SynthRotation.NONE if value == "none" else SynthRotation.RANDOM
        return
    if isinstance(value, str):
        parts = value.split(",")
    else:
        try:
            parts = list(value)
        except TypeError:
            parts = None
    try:
        angles = [float(p) for p in parts] if parts is not None else None
    except (TypeError, ValueError):
        angles = None
    if angles is None or len(angles) != 3 or not all(math.isfinite(a) for a in angles):
        raise InvalidArgumentError(Status.E_INVAL, "rotation: %r is not 'none', 'random' or three angles "
                                   "(X, Y, Z) in degrees" % (value,))
    cfg.rotation = SynthRotation.EULER
    for k in range(3):
        cfg.rotation_euler_deg[k] = angles[k]


def make_config(*, scenario="stance", severity=0.5, duration=60, rate=100, seed=1, channels=3, rotation="none",
                full_scale=8):
    """A klonos_synth_config from the arguments of :func:`synth`."""
    cfg = T.SynthConfig()
    lib.klonos_synth_config_default(ctypes.byref(cfg))
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2 ** 64:
        raise InvalidArgumentError(Status.E_INVAL, "seed: %r is not a non-negative 64-bit integer" % (seed,))
    cfg.seed = int(seed)
    cfg.scenario = _scenario(scenario)
    if isinstance(channels, bool) or not isinstance(channels, numbers.Integral):
        raise TypeError("channels must be an integer, not %s" % type(channels).__name__)
    if not -2 ** 31 <= channels < 2 ** 31:
        raise InvalidArgumentError(Status.E_INVAL, "channels: %d is out of range" % channels)
    cfg.channels = int(channels)
    cfg.severity = _number("severity", severity)
    cfg.duration_s = _duration(duration)
    cfg.rate_hz = _number("rate", rate)
    cfg.full_scale_g = _number("full_scale", full_scale)
    _rotation(cfg, rotation)
    return cfg


def _params_dict(p):
    out = {}
    for name in PARAM_NAMES:
        v = getattr(p, name)
        out[name] = list(v) if isinstance(v, ctypes.Array) else v
    return out


def derived_params(*, scenario="stance", severity=0.5, **config):
    """Every model parameter the generator derives from scenario and severity, as a dict.

    Change values and pass the dict (or part of it) as ``synth(params=...)``.
    """
    cfg = make_config(scenario=scenario, severity=severity, **config)
    p = T.SynthParams()
    rc = lib.klonos_synth_params_derive(ctypes.byref(cfg), ctypes.byref(p))
    if rc != Status.OK:
        raise error_for(rc, "cannot derive parameters for scenario %r, severity %g" % (scenario, cfg.severity))
    return _params_dict(p)


def _make_params(cfg, overrides):
    """Derived parameters with ``overrides`` (a dict of PARAM_NAMES) applied; None when no overrides."""
    if overrides is None:
        return None
    p = T.SynthParams()
    rc = lib.klonos_synth_params_derive(ctypes.byref(cfg), ctypes.byref(p))
    if rc != Status.OK:
        raise error_for(rc, "cannot derive the parameters to override")
    for name, value in dict(overrides).items():
        if name not in PARAM_NAMES:
            raise InvalidArgumentError(Status.E_INVAL, "params: unknown parameter %r (see klonos.synth_params())"
                                       % (name,))
        field = getattr(p, name)
        if isinstance(field, ctypes.Array):
            values = [float(v) for v in value]
            if len(values) != len(field):
                raise InvalidArgumentError(Status.E_INVAL, "params: %s needs %d numbers" % (name, len(field)))
            for k, v in enumerate(values):
                field[k] = v
        elif isinstance(field, int):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError("params: %s must be an integer" % name)
            setattr(p, name, int(value))
        else:
            setattr(p, name, _number("params: " + name, value))
    return p


class _Generator:
    """A C klonos_synth handle (internal)."""

    def __init__(self, cfg, p):
        self.handle = ctypes.POINTER(T.SynthHandle)()
        rc = lib.klonos_synth_open(ctypes.byref(self.handle), ctypes.byref(cfg),
                                   ctypes.byref(p) if p is not None else None)
        if rc != Status.OK:
            message = text(lib.klonos_synth_error(self.handle)) if self.handle else ""
            self.close()
            raise error_for(rc, message or None)

    def check(self, rc):
        if rc != Status.OK:
            raise error_for(rc, text(lib.klonos_synth_error(self.handle)) or None)

    def close(self):
        lib.klonos_synth_close(ctypes.byref(self.handle))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _num(x):
    if not math.isfinite(x):
        return None
    return x + 0.0  # no -0.0, as the truth file


def truth_item(it):
    """A klonos_synth_truth as a dict with the keys of the truth file's "items" (docs/synth.md)."""
    d = {"kind": text(lib.klonos_synth_truth_kind_name(it.kind)), "id": it.id}
    state = text(lib.klonos_synth_state_name(it.state))
    if it.kind == SynthTruthKind.BOUT:
        d.update(state=state, start_s=_num(it.start_s), end_s=_num(it.end_s))
        if it.state == SynthState.LYING:
            d["lying"] = text(lib.klonos_synth_lying_name(it.detail))
        if it.state not in (SynthState.OTHER, SynthState.NONWEAR):
            d.update(pitch_deg=_num(it.pitch_deg), roll_deg=_num(it.roll_deg))
        if it.state == SynthState.WALKING:
            d.update(step_count=it.count, cadence_spm=_num(it.freq_hz * 60.0))
    elif it.kind == SynthTruthKind.POSTURE_CHANGE:
        d.update({"from": text(lib.klonos_synth_state_name(it.from_state)), "to": state,
                  "start_s": _num(it.start_s), "end_s": _num(it.end_s)})
    elif it.kind == SynthTruthKind.STEP:
        d.update(bout_id=it.parent_id, foot="left" if it.detail == 0 else "right", t_s=_num(it.start_s),
                 end_s=_num(it.end_s))
    elif it.kind == SynthTruthKind.JERK:
        d.update(onset_s=_num(it.start_s), offset_s=_num(it.end_s), peak_s=_num(it.peak_s),
                 peak_acc_mps2=_num(it.amplitude_mps2), sampled_peak_mps2=_num(it.sampled_peak_mps2),
                 direction=[_num(v) for v in it.direction], shape=text(lib.klonos_synth_jerk_shape_name(it.detail)),
                 cluster_id=it.parent_id if it.parent_id >= 0 else None, state=state)
    elif it.kind == SynthTruthKind.CLUSTER:
        d.update(start_s=_num(it.start_s), end_s=_num(it.end_s), jerk_count=it.count, state=state)
    elif it.kind == SynthTruthKind.TREMOR:
        d.update(start_s=_num(it.start_s), end_s=_num(it.end_s), freq_hz=_num(it.freq_hz),
                 amp_mps2=_num(it.amplitude_mps2), direction=[_num(v) for v in it.direction], state=state)
    elif it.kind in (SynthTruthKind.FALL, SynthTruthKind.INTENTIONAL_SIT):
        if it.kind == SynthTruthKind.FALL:
            d["fall_type"] = SYNTH_FALL_TYPES.get(it.detail, "unknown")
        d.update({"from": text(lib.klonos_synth_state_name(it.from_state)), "to": state,
                  "start_s": _num(it.start_s), "end_s": _num(it.end_s), "impact_s": _num(it.peak_s),
                  "impact_peak_mps2": _num(it.amplitude_mps2), "sampled_peak_mps2": _num(it.sampled_peak_mps2),
                  "direction": [_num(v) for v in it.direction], "pitch_after_deg": _num(it.pitch_deg),
                  "roll_after_deg": _num(it.roll_deg)})
    elif it.kind == SynthTruthKind.NEAR_FALL:
        d.update(start_s=_num(it.start_s), end_s=_num(it.end_s), impact_s=_num(it.peak_s),
                 step_peak_mps2=_num(it.amplitude_mps2), sampled_peak_mps2=_num(it.sampled_peak_mps2),
                 direction=[_num(v) for v in it.direction], state=state)
    return d


def _collect_truth(gen, out):
    n = ctypes.c_size_t()
    gen.check(lib.klonos_synth_truth_count(gen.handle, ctypes.byref(n)))
    item = T.SynthTruth()
    for i in range(n.value):
        gen.check(lib.klonos_synth_truth_get(gen.handle, i, ctypes.byref(item)))
        if out is not None:
            out.append(truth_item(item))


def _render(cfg, p, truth, use_numpy):
    with _Generator(cfg, p) as gen:
        total = ctypes.c_int64()
        gen.check(lib.klonos_synth_frame_count(gen.handle, ctypes.byref(total)))
        nch = cfg.channels
        n = total.value
        if use_numpy:
            try:
                import numpy
            except ImportError as exc:
                raise ImportError("klonos: numpy=True needs numpy, which is not installed") from exc
            samples = numpy.zeros((n, nch), dtype=numpy.float32)
            base = samples.ctypes.data
        else:
            samples = array.array("f", bytes(n * nch * 4))
            base = samples.buffer_info()[0]  # stays put: the array is never resized here
        items = [] if truth else None
        scratch = (ctypes.c_float * nch)()
        done = 0
        got = ctypes.c_size_t()
        while True:
            want = min(_CHUNK_FRAMES, n - done)
            if want:
                ptr = ctypes.cast(base + done * nch * 4, ctypes.POINTER(ctypes.c_float))
            else:  # the last call completes the remaining truth items
                ptr, want = scratch, 1
            gen.check(lib.klonos_synth_render(gen.handle, ptr, want, ctypes.byref(got)))
            _collect_truth(gen, items)
            if got.value == 0:
                break
            if done + got.value > n:
                raise error_for(Status.E_STATE, "the generator rendered more frames than it announced")
            done += got.value
        return samples, items


def _write(cfg, p, path, truth, sample_format):
    data_path = os.fsencode(path)
    if truth is True:
        truth_path = data_path + b".truth.json"
    elif truth is False or truth is None:
        truth_path = None
    else:
        truth_path = os.fsencode(truth)
    opt = T.SynthFileOptions()
    lib.klonos_synth_file_options_default(ctypes.byref(opt))
    try:
        opt.sample_format = SYNTH_SAMPLE_FORMATS[sample_format]
    except (KeyError, TypeError):
        raise InvalidArgumentError(Status.E_INVAL, "sample_format: %r is not one of %s"
                                   % (sample_format, ", ".join(SYNTH_SAMPLE_FORMATS))) from None
    with _Generator(cfg, p):  # validate first, as the CLI does, for the field-level message
        pass
    info = T.SynthFileInfo()
    err = ctypes.create_string_buffer(_ERROR_CAPACITY)
    rc = lib.klonos_synth_write_files(ctypes.byref(cfg), ctypes.byref(p) if p is not None else None, data_path,
                                      truth_path, ctypes.byref(opt), ctypes.byref(info), err, _ERROR_CAPACITY)
    if rc != Status.OK:
        raise error_for(rc, err.value.decode("utf-8", "backslashreplace") or None, os.fsdecode(path))
    out = {name: getattr(info, name) for name, _ in T.SynthFileInfo._fields_ if name != "reserved"}
    out["path"] = os.fsdecode(path)
    out["truth_path"] = os.fsdecode(truth_path) if truth_path is not None else None
    return out


def synth(path=None, *, scenario="stance", severity=0.5, duration=60, rate=100, seed=1, channels=3,
          rotation="none", full_scale=8, truth=True, sample_format="auto", params=None, numpy=False):
    """Generate a synthetic recording with its ground truth.

    Args:
        path: None: render in memory. Else the data file to write (format from
            the extension: .wav .w64 .rf64 .aiff float32 in g, .flac int16, .csv
            t,x,y,z in s and g); bytes equal ``klonos synth -o path``.
        scenario: "stance", "stance-jerks", "clusters", "walking",
            "walking-jerks", "tremor", "daily", "nonwear" (klonos.synth_scenarios()).
        severity: 0 (healthy) .. 1 (severe).
        duration: seconds, or a string with a unit: "90s", "30m", "24h", "7d".
        rate: Hz, 25..1000. seed: 0 .. 2**64-1. channels: 3 or 6.
        rotation: sensor mounting: "none", "random" (from the seed), or Euler
            angles X, Y, Z in degrees (a 3-sequence or "x,y,z").
        full_scale: sensor range in g (clipping; int16 scaling).
        truth: files: True writes ``path + ".truth.json"``, False none, or a
            path. In memory: False skips collecting the truth (returns None).
        sample_format: files: "auto" (int16 for FLAC only), "float", "int16".
        params: a dict of model parameters to change (names from
            klonos.synth_params()); None = derived from scenario and severity.
        numpy: in memory: samples as a float32 ndarray (frames, channels).

    Returns:
        With a path: a dict of what was written (frames, clipped_samples,
        truth_items, bouts, posture_changes, steps, jerks, clusters, tremors,
        path, truth_path). Without: ``(samples, truth_items)``: samples
        interleaved m/s^2 (rad/s) as array('f') or ndarray; truth_items the
        truth file's "items" as dicts, in the same order.

    Raises:
        InvalidArgumentError, RateError, ChannelError with the library's
        message; FormatError for an unknown extension; FileError when writing
        fails (nothing is left behind).
    """
    cfg = make_config(scenario=scenario, severity=severity, duration=duration, rate=rate, seed=seed,
                      channels=channels, rotation=rotation, full_scale=full_scale)
    p = _make_params(cfg, params)
    if path is not None:
        if numpy:
            raise TypeError("numpy=True is for in-memory rendering (path=None)")
        return _write(cfg, p, path, truth, sample_format)
    if sample_format != "auto":
        raise TypeError("sample_format= is for files (give a path)")
    return _render(cfg, p, bool(truth), numpy)
