/* Private: the synthetic-recording generator's handle and its components.
 * Only lib/synth/ includes this.
 *
 * Rendering walks the recording in blocks of at most KL_SYNTH_BLOCK frames
 * that never straddle a segment (bout) boundary. Each component adds its
 * body-frame acceleration (and angular rate) to the block buffers, sample by
 * sample, with state that advances once per sample and random draws from its
 * own stream: so the output never depends on how the caller chunks it. */
#ifndef KLONOS_SYNTH_PRIV_H
#define KLONOS_SYNTH_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "klonos/reader.h"
#include "klonos/status.h"
#include "klonos/synth.h"
#include "synth_prng.h"

#define KL_G KLONOS_STANDARD_GRAVITY_MPS2
#define KL_PI 3.14159265358979323846
#define KL_DEG (KL_PI / 180.0)

#define KL_SYNTH_BLOCK 256
#define KL_SWAY_COMPONENTS 16
#define KL_MAX_ACTIVE_JERKS 32

/* Random streams, one per component (the numbers are part of the model:
 * changing them changes every recording). */
enum {
  KL_STREAM_ROTATION = 1,
  KL_STREAM_TIMELINE = 2,
  KL_STREAM_POSTURE = 3,
  KL_STREAM_SWAY = 4,
  KL_STREAM_GAIT = 5,
  KL_STREAM_JERK = 6,
  KL_STREAM_CLUSTER = 7,
  KL_STREAM_TREMOR = 8,
  KL_STREAM_ACC_NOISE = 9,
  KL_STREAM_GYRO_NOISE = 10,
  KL_STREAM_FALLS = 11,     /* falls and fast sits: their timing and kinematics */
  KL_STREAM_NEAR_FALL = 12,
  KL_STREAM_PLAY = 13
};

/* ---- sway: random-phase multisine with phase diffusion (synth_sway.c) ---- */
typedef struct kl_sway_axis {
  double zr[KL_SWAY_COMPONENTS], zi[KL_SWAY_COMPONENTS]; /* e^{i phase_k} */
  double wr[KL_SWAY_COMPONENTS], wi[KL_SWAY_COMPONENTS]; /* e^{i omega_k / fs} */
  double er[KL_SWAY_COMPONENTS], ei[KL_SWAY_COMPONENTS]; /* the same with this interval's phase drift */
  double amp[KL_SWAY_COMPONENTS];                        /* sum amp^2 / 2 = 1: unit RMS */
  double amp_omega[KL_SWAY_COMPONENTS];                  /* amp * omega_k, for the derivative */
  double dev[KL_SWAY_COMPONENTS];                        /* frequency deviation state (OU, unit variance) */
  double dev_step[KL_SWAY_COMPONENTS];                   /* rad per sample per unit deviation */
} kl_sway_axis;

typedef struct kl_sway {
  kl_sway_axis axis[2]; /* 0 = AP, 1 = ML */
  int64_t kick_every;   /* samples between frequency-deviation updates */
  double ou_rho;        /* OU correlation over one update */
  double ms[2];         /* running mean square (level control) */
  double agc_alpha;
  kl_rng rng;
} kl_sway;

/* Set up both axes: frequencies in [lo, hi] with spectral centroid @p centroid_hz. */
void kl_sway_init(kl_sway *s, uint64_t seed, double lo_hz, double hi_hz, double centroid_hz, double fs);
/* Value (unit RMS) and time derivative (1/s) of both axes at sample n, then advance. */
void kl_sway_next(kl_sway *s, int64_t n, double x[2], double xdot[2]);

/* ---- timeline: scenarios, bouts, posture changes (synth_timeline.c) ---- */
/* Kinematics of a fall or an intentional fast sit (synth_falls.c). Times
 * are seconds from the segment start. */
typedef struct kl_fallmotion {
  int kind;             /* KL_FM_* */
  int type;             /* klonos_synth_fall_type (falls) */
  double a0, m0;        /* trunk pitch / roll before (rad) */
  double a_flex;        /* fast sit: forward flexion reached mid-squat */
  double a1, m1;        /* after */
  double squat_m, squat_s;  /* fast sit: controlled min-jerk lowering, duration */
  double lob_s, lob_k;  /* falls: loss of balance (duration, unloading as a fraction of g) */
  double t_drop;        /* start of the uncontrolled drop */
  double ramp_s;        /* ramp of the drop's acceleration */
  double k_ff;          /* drop acceleration, fraction of g */
  double t_impact;      /* start of the impact pulse */
  double impact_s;      /* its duration */
  double v_impact;      /* vertical speed at contact, m/s (down) */
  double v_horiz;       /* horizontal speed at contact, m/s along dir_h */
  double dir_h[2];      /* horizontal direction of the fall: world forward, world left */
  double bounce;        /* relative amplitude of the zero-area rebound after the impact */
  double rot_p;         /* exponent of the accelerating rotation (inverted pendulum) */
  double settle_s;      /* after the rebound, to the end of the segment */
  double peak_seen;     /* largest |specific force| rendered (m/s^2) */
} kl_fallmotion;
enum { KL_FM_NONE = 0, KL_FM_FALL = 1, KL_FM_FAST_SIT = 2 };

typedef struct kl_segment {
  int state;           /* klonos_synth_state */
  int detail;          /* klonos_synth_lying for lying bouts */
  int64_t id;          /* bout id */
  double t0, t1;       /* seconds */
  int64_t n0, n1;      /* frames [n0, n1) */
  double a, m;         /* static trunk pitch / roll, rad (bouts; end angles of a change) */
  /* Posture change (state OTHER). */
  int is_change;
  int from_state, to_state;
  int nkeys;
  double key_tau[3], key_a[3], key_m[3]; /* angle keyframes, tau in [0, 1] */
  double lift_m, lift_tau0, lift_tau1;   /* world-vertical displacement (min-jerk) */
  double fwd_m, fwd_tau0, fwd_tau1;      /* world-forward displacement (min-jerk) */
  /* Non-wear: world-up as seen by the resting device, in body coordinates. */
  double u_table[3];
  /* Falls scenario: a fall or fast sit instead of a min-jerk change (synth_falls.c). */
  kl_fallmotion fm;             /* change: the fall/fast sit rendered; bout: the one that ends it (kind NONE = none) */
  double still_s;               /* bouts: seconds of stillness at the start (after a fall) */
  int after_sit;                /* bouts: the bout follows an intentional fast sit */
  int next_state;               /* falls scenario: state after the bout (-1 = the ordinary chain) */
} kl_segment;



/* ---- near-falls and play: overlays on upright/sitting bouts (synth_falls.c) ---- */
typedef struct kl_overlay {
  int kind;             /* 1 near-fall, 2 bounce, 3 lean, 4 bump */
  double t0, t1;        /* extent */
  double t_peak;        /* near-fall: recovery-step contact; bump: its pulse */
  double amp;           /* main amplitude (m/s^2) */
  double tilt;          /* peak trunk tilt excursion (rad) */
  double tilt_dir[2];   /* excursion as (pitch, roll) weights */
  double freq;          /* bounce frequency */
  double dur;           /* pulse duration */
  double dip_k, dip_s;  /* near-fall: unloading before the recovery step */
  double second;        /* near-fall: relative size of the second recovery step */
  double t_second;      /* near-fall: its contact */
  double rise_s, rec_s; /* near-fall: tilt excursion rise and recovery */
  double lift_m, lift_t0, lift_s; /* near-fall: the trunk rises back to its height (min-jerk) */
  double dir[3];        /* body-frame direction of the jolt */
  int state;
  double peak_seen;
} kl_overlay;

typedef struct kl_fx {
  kl_rng near_rng, play_rng;
  int on;               /* the current bout takes overlays */
  int state;
  double seg_t0, seg_t1, quiet_until;
  double seg_a, seg_m;  /* the bout's trunk angles */
  int nf_ready, pl_ready;
  kl_overlay nf_next, pl_next;
  kl_overlay active[4];
  int n_active;
} kl_fx;

typedef struct kl_timeline {
  kl_rng rng;          /* states and durations */
  kl_rng posture_rng;  /* angles, lying side, table orientation */
  int scenario;
  double total_s;
  int64_t total_frames;
  double fs;
  int64_t next_id;
  int started;
  kl_segment pending;  /* the bout after a posture change */
  int has_pending;
  int walk_next;       /* walking scenarios: alternate standing / walking */
  kl_rng falls_rng;    /* falls scenario: hazards and fall/sit kinematics */
} kl_timeline;

/* ---- gait (synth_gait.c) ---- */
typedef struct kl_step {
  double t_ic;    /* initial contact */
  double dur;     /* to the next initial contact */
  int foot;       /* 0 left, 1 right */
  double amp;     /* pattern amplitude factor */
} kl_step;

typedef struct kl_gait {
  int active;
  int64_t bout_id;
  double t0, t1;
  int64_t steps;      /* emitted in this bout */
  kl_step cur, next;
  int has_next;
  double hr, hi, wr, wi; /* e^{i pi phi}: half the step phase */
  int64_t rot_n;         /* sample the rotator holds; -1 = re-initialise */
  /* Heel-strike transient of the current step. */
  double hs_zr, hs_zi;   /* e^{p (t - t_ic)} */
  double hs_pr, hs_pi;   /* p = -1/tau + i omega */
  double hs_er, hs_ei;   /* e^{p dt} */
  double hs_cr, hs_ci;   /* (1 - e^{-p dt}) / (p dt): sample-interval average */
  int64_t hs_n;          /* sample the transient state holds; -1 = not started */
  double step_cv_scale;  /* per-step relative SD giving the stride CV asked for */
  kl_rng rng;
} kl_gait;

/* ---- events: jerks and tremor (synth_events.c, synth_jerk.c) ---- */
typedef struct kl_jerk {
  double onset, dur, amp;
  double dir[3];   /* body frame */
  double axis[3];  /* rotation axis for the gyroscope */
  double gyro_peak;
  int shape;
  int state;
  int64_t cluster; /* -1 isolated */
  double sampled_peak; /* largest |value| rendered so far */
} kl_jerk;

typedef struct kl_tremor {
  double t0, t1, freq, amp, ramp;
  double dir[3], axis[3], gyro_amp;
  double zr, zi, wr, wi; /* e^{i 2 pi f (t - t0)} */
  int64_t n;             /* sample the rotator holds; -1 = not started */
  int state;
} kl_tremor;

typedef struct kl_events {
  kl_rng jerk_rng, cluster_rng, tremor_rng;
  /* Per segment. */
  int seg_state;
  double seg_t0, seg_t1;
  int jerks_on, tremor_on;
  /* Next isolated jerk (drawn ahead). */
  int iso_ready;
  kl_jerk iso;
  /* Clusters. */
  int cl_active;         /* inside a cluster: cl_jerk is its next jerk */
  int64_t cl_id, cl_next_id;
  int cl_left;           /* jerks still to come, including cl_jerk */
  int cl_count;          /* jerks emitted so far */
  double cl_start, cl_end;
  kl_jerk cl_jerk;
  double cl_next_start;  /* start of the next cluster (when not active) */
  /* Active jerks, in onset order. */
  kl_jerk active[KL_MAX_ACTIVE_JERKS];
  int n_active;
  /* Tremor: the next episode (drawn ahead) and the active ones. */
  int tr_ready;
  kl_tremor tr_next;
  kl_tremor tr_active[4];
  int n_tr;
} kl_events;

/* ---- truth queue (synth_truth.c) ---- */
typedef struct kl_pending {
  klonos_synth_truth item;
  uint64_t seq;
} kl_pending;

typedef struct kl_truth {
  kl_pending *pending;
  size_t n_pending, cap_pending;
  klonos_synth_truth *out;
  size_t n_out, cap_out;
  uint64_t seq;
  int64_t next_id[16];  /* per kind, for kinds numbered at release */
  int64_t counts[16];   /* released per kind */
} kl_truth;

/* ---- the handle (synth.c) ---- */
struct klonos_synth {
  klonos_synth_config cfg;
  klonos_synth_params p;
  int status;
  char error[256];
  double fs, dt;
  int64_t total_frames;
  int64_t n;              /* next frame to render */
  double rot[3][3];       /* body -> sensor */
  double acc_sd_mps2, gyro_sd_radps, clip_mps2;
  int64_t clipped;
  int done;
  kl_rng acc_noise, gyro_noise;
  kl_timeline tl;
  kl_segment seg;
  int have_seg;
  double sway_gain[2];    /* current AP / ML sway RMS, slewing toward the state's */
  double sway_slew;       /* per-sample smoothing factor */
  kl_sway sway;
  kl_gait gait;
  kl_events ev;
  kl_fx fx;
  kl_truth truth;
  /* Block buffers, body frame. */
  double acc[3][KL_SYNTH_BLOCK];
  double gyr[3][KL_SYNTH_BLOCK];
};

/* Params / config (synth_params.c). */
int kl_synth_check_config(const klonos_synth_config *cfg, char *err, size_t len);
int kl_synth_check_params(const klonos_synth_params *p, double fs, char *err, size_t len);

/* Rotations (synth_rotation.c). */
void kl_rotation_euler(double r[3][3], const double euler_deg[3]);
void kl_rotation_random(double r[3][3], kl_rng *rng);

/* Timeline (synth_timeline.c). */
void kl_timeline_init(kl_timeline *tl, const klonos_synth *h);
/* Produce the next segment after @p prev (NULL for the first). */
void kl_timeline_next(kl_timeline *tl, const klonos_synth *h, const kl_segment *prev, kl_segment *out);
/* Trunk orientation at time t of a posture change: pitch, roll (rad) and their rates (rad/s). */
void kl_change_angles(const kl_segment *s, double t, double *a, double *m, double *a_dot, double *m_dot);
/* World-vertical and world-forward linear acceleration (m/s^2) of a posture change at time t. */
void kl_change_linear(const kl_segment *s, double t, double *vert, double *fwd);
/* Min-jerk profile s(x), s'(x), s''(x) on [0, 1] (Flash & Hogan 1985). */
void kl_minjerk(double x, double *s, double *sd, double *sdd);
/* Quintic smoothstep in [0, 1] (the min-jerk position profile, clamped). */
double kl_smoothstep(double x);

/* Gait (synth_gait.c). */
void kl_gait_init(kl_gait *g, uint64_t seed);
int kl_gait_begin(klonos_synth *h, const kl_segment *seg);
/* Add the walking pattern for frames [n, n + count) of the current bout. */
int kl_gait_add(klonos_synth *h, int64_t n, int count);
int kl_gait_end(klonos_synth *h, klonos_synth_truth *bout);

/* Events (synth_events.c). */
void kl_events_init(kl_events *e, uint64_t seed);
void kl_events_begin_segment(klonos_synth *h, const kl_segment *seg);
/* Activate the events that start before the last frame of the block, add
 * every active event to frames [n, n + count), retire finished ones. */
int kl_events_add(klonos_synth *h, int64_t n, int count);
/* The segment ended: close the open cluster (its truth). */
int kl_events_end_segment(klonos_synth *h);
/* The recording ended: emit the truth of jerks still active. */
int kl_events_finish(klonos_synth *h);

/* Falls scenario (synth_falls.c). */
void kl_falls_timeline_init(kl_timeline *tl, uint64_t seed);
/* Falls scenario: draw how bout @p b (state, t0 set) ends: its t1 and, when it
 * ends in a fall or a fast sit, b->fm (kind, type and kinematics but the end
 * angles). Returns the state that follows, or -1 for the ordinary chain. */
int kl_falls_bout_end(kl_timeline *tl, const klonos_synth *h, kl_segment *b);
/* The fall/fast sit of bout @p from into bout @p to, starting at t0: fills
 * the change segment @p c (angles, duration). */
void kl_falls_make_change(const kl_segment *from, const kl_segment *to, double t0, kl_segment *c);
/* Angles (and lying side, stillness) of bout @p to that a fall/fast sit lands in. */
void kl_falls_landing_posture(kl_timeline *tl, const kl_fallmotion *fm, kl_segment *to);
/* Duration of the motion (s) and the peak of its impact pulse (m/s^2). */
double kl_falls_duration(const kl_fallmotion *fm);
double kl_falls_impact_peak(const kl_fallmotion *fm);
/* Body-frame specific force (m/s^2) and angular rate (rad/s) of a fall segment at time t. */
void kl_falls_kinematics(const kl_segment *s, double t, double dt, double f[3], double w[3]);
/* Truth item of a fall/fast-sit segment. */
void kl_falls_truth(const kl_segment *s, klonos_synth_truth *it);
/* Overlays: near-falls and play. */
void kl_fx_init(kl_fx *x, uint64_t seed);
void kl_fx_begin_segment(klonos_synth *h, const kl_segment *seg);
int kl_fx_add(klonos_synth *h, int64_t n, int count);
int kl_fx_end_segment(klonos_synth *h);

/* Jerk shapes (synth_jerk.c). */
/* Value of the unit-peak shape averaged over the sampling interval [tau - dtau, tau] (tau in units of the duration). */
double kl_jerk_shape_avg(int shape, double tau, double dtau);
/* Where |shape| peaks, as a fraction of the duration. */
double kl_jerk_shape_peak_tau(int shape);

/* Truth (synth_truth.c). */
void kl_truth_free(kl_truth *t);
int kl_truth_add(kl_truth *t, const klonos_synth_truth *item);
/* Move to the output every pending item with end_s + dt <= t_now (all when flush), sorted by (end, kind, seq). */
int kl_truth_release(kl_truth *t, double t_now, double dt, int flush);
void kl_truth_clear_out(kl_truth *t);
/* A zeroed item of @p kind with ids -1 and peak_s = start_s. */
void kl_truth_item_init(klonos_synth_truth *it, int kind, int state, double start_s, double end_s);

/* Record an error message on the handle; returns code. */
int kl_synth_fail(klonos_synth *h, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
