"""ctypes mirrors of the public C structs in include/klonos/{reader,analyzer,synth}.h.

Each class lists the C fields in the same order, with the same types, fixed
array lengths and reserved tails, so that ``ctypes.sizeof`` and every field
offset equal the C compiler's (tests/python/test_layout.py checks this against
a helper compiled from the real header).

This module imports nothing but ctypes: the layout test loads it on its own,
without loading the shared library.
"""

import ctypes

#: Most source channels a recording may describe (KLONOS_MAX_SOURCE_CHANNELS).
MAX_SOURCE_CHANNELS = 16
#: Most channels in an output frame: acc x,y,z then gyro x,y,z (KLONOS_MAX_FRAME_CHANNELS).
MAX_FRAME_CHANNELS = 6

_c_int32 = ctypes.c_int32
_c_int64 = ctypes.c_int64
_c_double = ctypes.c_double
_c_char = ctypes.c_char
_c_uint8 = ctypes.c_uint8
_c_uint64 = ctypes.c_uint64


class ReaderOptions(ctypes.Structure):
    """struct klonos_reader_options. Fill with klonos_reader_options_default() first."""

    _fields_ = [
        ("format", _c_int32),          # klonos_format
        ("units", _c_int32),           # klonos_units (acceleration)
        ("gyro_units", _c_int32),      # klonos_units (angular rate)
        ("reserved_i", _c_int32),      # must be 0
        ("rate_hz", _c_double),        # 0 = the file's rate
        ("full_scale_g", _c_double),   # 0 = 8 g
        ("max_gap_s", _c_double),      # default 1.0
        ("columns", _c_char * 128),    # "" = auto; NUL-terminated
        ("gap_fill", _c_int32),        # klonos_gap_fill (gt3x idle-sleep gaps)
        ("reserved", _c_uint8 * 60),   # must be zero
    ]


class RecordingInfo(ctypes.Structure):
    """struct klonos_recording_info: metadata of an open recording."""

    _fields_ = [
        ("format", _c_int32),
        ("channel_count", _c_int32),
        ("source_channel_count", _c_int32),
        ("source_units", _c_int32),
        ("source_roles", _c_int32 * MAX_SOURCE_CHANNELS),
        ("sample_rate_hz", _c_double),
        ("nominal_rate_hz", _c_double),
        ("measured_rate_hz", _c_double),
        ("frame_count", _c_int64),
        ("has_start_time", _c_int32),
        ("timestamped", _c_int32),
        ("start_time_unix_s", _c_double),
        ("start_time_iso", _c_char * 40),
        ("full_scale_g", _c_double),
        ("gyro_full_scale_dps", _c_double),
        ("format_detail", _c_char * 64),
        ("device", _c_char * 96),
        ("reserved", _c_uint8 * 64),
    ]


class ReadStats(ctypes.Structure):
    """struct klonos_read_stats: counters that grow while reading."""

    _fields_ = [
        ("frames_read", _c_int64),
        ("clipped", _c_int64 * MAX_FRAME_CHANNELS),
        ("gap_count", _c_int64),
        ("gap_total_s", _c_double),
        ("nan_frames", _c_int64),
        ("bad_blocks", _c_int64),
        ("notice_count", _c_int64),
        ("reserved", _c_uint8 * 64),
    ]


class Notice(ctypes.Structure):
    """struct klonos_notice: one non-fatal finding raised while reading."""

    _fields_ = [
        ("kind", _c_int32),
        ("reserved_i", _c_int32),
        ("frame", _c_int64),
        ("time_s", _c_double),
        ("duration_s", _c_double),
        ("message", _c_char * 160),
    ]


class ReaderHandle(ctypes.Structure):
    """Opaque struct klonos_reader; only ever used through a pointer."""

    _fields_ = []


# ---------------------------------------------------------------- analyzer.h


class AnalyzerConfig(ctypes.Structure):
    """struct klonos_analyzer_config. Fill with klonos_analyzer_config_default() first."""

    _fields_ = [
        ("analysis_rate_hz", _c_double),   # internal rate of every analysis (default 100 Hz)
        ("epoch_s", _c_double),            # activity-state epoch, s (default 2, 0.5-60)
        ("nonwear_window_s", _c_double),   # non-wear window, s (default 3600)
        ("placement", _c_char * 24),       # "lower-back", "chest", "wrist", "ankle"
        ("axes", _c_char * 32),            # "V,ML,-AP"; "" = the placement's default
        ("apply_calibration", _c_int32),   # 1: corrected = (raw + offset_g) * scale
        ("reserved_i", _c_int32),
        ("calib_offset_g", _c_double * 3),
        ("calib_scale", _c_double * 3),
        ("reserved", _c_uint8 * 256),
    ]


class Bout(ctypes.Structure):
    """struct klonos_bout: a run of epochs in one activity state (times in s from the first frame)."""

    _fields_ = [
        ("start_s", _c_double),
        ("end_s", _c_double),
        ("state", _c_int32),               # klonos_state
        ("reserved_i", _c_int32),
        ("mean_cadence_spm", _c_double),   # walking bouts: steps/min; else 0
    ]


class JerkEvent(ctypes.Structure):
    """struct klonos_jerk_event: one myoclonic jerk."""

    _fields_ = [
        ("onset_s", _c_double),
        ("offset_s", _c_double),
        ("peak_acc_mps2", _c_double),
        ("peak_jerk_mps3", _c_double),
        ("direction", _c_double * 3),      # unit vector (AP, ML, V)
        ("confidence", _c_double),         # 0..1
        ("cluster_id", _c_int64),          # -1 isolated
        ("state", _c_int32),               # klonos_state at the onset
        ("reserved_i", _c_int32),
    ]


class JerkCluster(ctypes.Structure):
    """struct klonos_jerk_cluster: a cluster ("storm") of jerks."""

    _fields_ = [
        ("id", _c_int64),
        ("start_s", _c_double),
        ("end_s", _c_double),
        ("count", _c_int32),
        ("reserved_i", _c_int32),
    ]


class TremorEpisode(ctypes.Structure):
    """struct klonos_tremor_episode: a rhythmic episode (Hz, m/s^2)."""

    _fields_ = [
        ("start_s", _c_double),
        ("end_s", _c_double),
        ("freq_hz", _c_double),
        ("amp_mps2", _c_double),
    ]


class SwayMetrics(ctypes.Structure):
    """struct klonos_sway_metrics: sway of one quiet-upright bout, or the summary (docs/sway.md)."""

    _fields_ = [(name, _c_double) for name in (
        "start_s", "end_s", "duration_s",
        "rms_ap_mps2", "rms_ml_mps2", "rms_mps2",
        "range_ap_mps2", "range_ml_mps2", "range_mps2",
        "mean_distance_mps2", "path_mps2", "path_per_s_mps3", "mean_velocity_mps",
        "jerk_m2ps5", "jerk_per_s_m2ps6", "ellipse_area_m2ps4", "prediction_ellipse_area_m2ps4",
        "mean_freq_hz", "total_power_m2ps4", "f50_hz", "f95_hz", "centroid_freq_hz", "freq_dispersion")] + [
        ("bouts", _c_int32),
        ("reserved_i", _c_int32),
        ("reserved", _c_uint8 * 32),
    ]


class GaitMetrics(ctypes.Structure):
    """struct klonos_gait_metrics: gait of one walking bout, or the summary (docs/gait.md)."""

    _fields_ = [
        ("start_s", _c_double),
        ("end_s", _c_double),
        ("duration_s", _c_double),
        ("steps", _c_int32),
        ("strides", _c_int32),
    ] + [(name, _c_double) for name in (
        "cadence_spm", "step_time_s", "stride_time_s", "stride_time_cv", "step_time_asymmetry",
        "step_regularity_v", "stride_regularity_v", "step_symmetry_v",
        "step_regularity_ap", "stride_regularity_ap", "step_symmetry_ap",
        "harmonic_ratio_v", "harmonic_ratio_ap", "harmonic_ratio_ml",
        "ml_rms_mps2", "ml_range_mps2")] + [
        ("bouts", _c_int32),
        ("reserved_i", _c_int32),
        ("reserved", _c_uint8 * 32),
    ]


class Scores(ctypes.Structure):
    """struct klonos_scores: severity 0..100 (NaN = no data) and what they rest on."""

    _fields_ = [
        ("motor", _c_double),
        ("myoclonus", _c_double),
        ("stance", _c_double),
        ("gait", _c_double),
        ("components_used", _c_int32),     # bits: 1 myoclonus, 2 stance, 4 gait, 8 function
        ("reserved_i", _c_int32),
        ("wear_s", _c_double),
        ("events_per_min", _c_double),
        ("amp_median_mps2", _c_double),
        ("function", _c_double),
        ("reserved", _c_uint8 * 24),
    ]


class EpochScores(ctypes.Structure):
    """struct klonos_epoch_scores: scores of one fixed window."""

    _fields_ = [
        ("start_s", _c_double),
        ("end_s", _c_double),
        ("wear_s", _c_double),
        ("upright_still_s", _c_double),
        ("walking_s", _c_double),
        ("lying_s", _c_double),
        ("events", _c_int64),
        ("myoclonus", _c_double),
        ("stance", _c_double),
        ("gait", _c_double),
        ("motor", _c_double),
        ("falls", _c_int64),
        ("reserved", _c_uint8 * 24),
    ]


class FallEvent(ctypes.Structure):
    """struct klonos_fall_event: a fall (kind 1) or near-fall (kind 2)."""

    _fields_ = [
        ("impact_s", _c_double),
        ("start_s", _c_double),
        ("end_s", _c_double),
        ("impact_mps2", _c_double),
        ("kind", _c_int32),
        ("from_state", _c_int32),
        ("to_state", _c_int32),
        ("lowered", _c_int32),
        ("confidence", _c_double),
        ("reserved", _c_uint8 * 16),
    ]


class Function(ctypes.Structure):
    """struct klonos_function: daily-life motor function (NaN = not applicable)."""

    _fields_ = [
        ("wear_s", _c_double),
        ("upright_s", _c_double),
        ("upright_pct", _c_double),
        ("walking_pct", _c_double),
        ("lying_pct", _c_double),
        ("walking_bouts", _c_int64),
        ("walking_bout_median_s", _c_double),
        ("longest_bout_s", _c_double),
        ("falls", _c_int64),
        ("near_falls", _c_int64),
        ("falls_per_upright_h", _c_double),
        ("falls_per_100_walking_bouts", _c_double),
        ("score", _c_double),
        ("reserved", _c_uint8 * 32),
    ]


class Calibration(ctypes.Structure):
    """struct klonos_calibration: autocalibration result (van Hees 2014)."""

    _fields_ = [
        ("offset_g", _c_double * 3),
        ("scale", _c_double * 3),
        ("error_before_mg", _c_double),
        ("error_after_mg", _c_double),
        ("still_windows", _c_int64),
        ("iterations", _c_int32),
        ("reserved_i", _c_int32),
        ("why", _c_char * 160),            # reason when refused
        ("reserved", _c_uint8 * 64),
    ]


class ReportContext(ctypes.Structure):
    """struct klonos_report_context: where the frames came from (every pointer may be NULL)."""

    _fields_ = [
        ("file", ctypes.c_char_p),
        ("info", ctypes.POINTER(RecordingInfo)),
        ("stats", ctypes.POINTER(ReadStats)),
        ("calibration", ctypes.POINTER(Calibration)),
        ("calibration_status", _c_int32),  # what klonos_calibrator_fit() returned
        ("include", _c_int32),             # bit mask of klonos_report_part
        ("score_epoch_s", _c_double),      # 0 = 60
        ("reserved", _c_uint8 * 32),
    ]


class AnalyzerHandle(ctypes.Structure):
    """Opaque struct klonos_analyzer."""

    _fields_ = []


class CalibratorHandle(ctypes.Structure):
    """Opaque struct klonos_calibrator."""

    _fields_ = []


# ------------------------------------------------------------------- synth.h


class SynthConfig(ctypes.Structure):
    """struct klonos_synth_config. Fill with klonos_synth_config_default() first."""

    _fields_ = [
        ("seed", _c_uint64),
        ("scenario", _c_int32),            # klonos_synth_scenario
        ("channels", _c_int32),            # 3 or 6
        ("severity", _c_double),           # 0..1
        ("duration_s", _c_double),
        ("rate_hz", _c_double),            # 25..1000
        ("rotation", _c_int32),            # klonos_synth_rotation
        ("reserved_i", _c_int32),
        ("rotation_euler_deg", _c_double * 3),
        ("full_scale_g", _c_double),
        ("reserved", _c_uint8 * 64),
    ]


# Fields of struct klonos_synth_params in header order: doubles unless typed.
_SYNTH_PARAM_FIELDS = (
    "standing_pitch_deg", "sitting_pitch_deg", "walking_pitch_deg", "posture_jitter_deg",
    "sway_ap_rms_mps2", "sway_ml_rms_mps2", "sway_centroid_hz", "sway_band_low_hz", "sway_band_high_hz",
    "sway_tilt_fraction", "sitting_sway_factor", "lying_sway_factor",
    "cadence_spm", "stride_time_cv", "step_time_asymmetry", "step_amp_cv", "step_amp_asymmetry",
    "gait_v_amp_mps2", "gait_ap_amp_mps2", "gait_ml_amp_mps2", "heel_strike_mps2", "gait_ml_sway_rms_mps2",
    "jerk_rate_per_min", "jerk_min_gap_s", "cluster_rate_per_hour",
    ("cluster_size_min", _c_int32), ("cluster_size_max", _c_int32),
    "cluster_gap_min_s", "cluster_gap_max_s", "jerk_amp_min_mps2", "jerk_amp_max_mps2",
    "jerk_duration_min_s", "jerk_duration_max_s",
    ("jerk_shape_mask", _c_int32), ("jerk_states_mask", _c_int32),
    "tremor_rate_per_min", "tremor_freq_min_hz", "tremor_freq_max_hz", "tremor_amp_min_mps2",
    "tremor_amp_max_mps2", "tremor_duration_min_s", "tremor_duration_max_s",
    ("tremor_states_mask", _c_int32), ("reserved_i", _c_int32),
    "acc_noise_ug_rthz", "gyro_noise_dps_rthz",
    ("acc_offset_mps2", _c_double * 3), ("acc_gain_error", _c_double * 3),
    "fall_rate_per_hour", "fall_to_lying_fraction", "fast_sit_rate_per_hour", "near_fall_rate_per_hour",
    "play_rate_per_min",
    ("reserved", _c_uint8 * 24),
)


class SynthParams(ctypes.Structure):
    """struct klonos_synth_params: every model parameter (klonos_synth_params_derive() fills it)."""

    _fields_ = [f if isinstance(f, tuple) else (f, _c_double) for f in _SYNTH_PARAM_FIELDS]


class SynthTruth(ctypes.Structure):
    """struct klonos_synth_truth: one ground-truth item (times in s from the first frame)."""

    _fields_ = [
        ("kind", _c_int32),
        ("state", _c_int32),
        ("from_state", _c_int32),
        ("detail", _c_int32),
        ("id", _c_int64),
        ("parent_id", _c_int64),
        ("count", _c_int64),
        ("start_s", _c_double),
        ("end_s", _c_double),
        ("peak_s", _c_double),
        ("amplitude_mps2", _c_double),
        ("freq_hz", _c_double),
        ("direction", _c_double * 3),      # body frame (V, AP, ML)
        ("pitch_deg", _c_double),
        ("roll_deg", _c_double),
        ("sampled_peak_mps2", _c_double),
        ("reserved", _c_uint8 * 24),
    ]


class SynthFileOptions(ctypes.Structure):
    """struct klonos_synth_file_options. Fill with klonos_synth_file_options_default() first."""

    _fields_ = [
        ("sample_format", _c_int32),       # klonos_synth_sample_format
        ("chunk_frames", _c_int32),        # 0 = 65536
        ("reserved", _c_uint8 * 56),
    ]


class SynthFileInfo(ctypes.Structure):
    """struct klonos_synth_file_info: what klonos_synth_write_files() wrote."""

    _fields_ = [(name, _c_int64) for name in (
        "frames", "clipped_samples", "truth_items", "bouts", "posture_changes", "steps", "jerks",
        "clusters", "tremors")] + [("reserved", _c_uint8 * 32)]


class SynthHandle(ctypes.Structure):
    """Opaque struct klonos_synth."""

    _fields_ = []


#: C struct name -> ctypes mirror; the layout test iterates over this.
MIRRORED_STRUCTS = {
    "klonos_reader_options": ReaderOptions,
    "klonos_recording_info": RecordingInfo,
    "klonos_read_stats": ReadStats,
    "klonos_notice": Notice,
    "klonos_analyzer_config": AnalyzerConfig,
    "klonos_bout": Bout,
    "klonos_jerk_event": JerkEvent,
    "klonos_jerk_cluster": JerkCluster,
    "klonos_tremor_episode": TremorEpisode,
    "klonos_sway_metrics": SwayMetrics,
    "klonos_gait_metrics": GaitMetrics,
    "klonos_scores": Scores,
    "klonos_epoch_scores": EpochScores,
    "klonos_fall_event": FallEvent,
    "klonos_function": Function,
    "klonos_report_context": ReportContext,
    "klonos_calibration": Calibration,
    "klonos_synth_config": SynthConfig,
    "klonos_synth_params": SynthParams,
    "klonos_synth_truth": SynthTruth,
    "klonos_synth_file_options": SynthFileOptions,
    "klonos_synth_file_info": SynthFileInfo,
}
