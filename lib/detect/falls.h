/* Private: streaming fall and near-fall detector for a trunk-worn
 * accelerometer. Method, defaults, sources and measured accuracy in
 * docs/falls.md; in short (the phases of Kangas et al. 2008, Gait Posture
 * 28:285, and 2009, Gait Posture 29:571: start of the fall, falling
 * velocity, impact, posture after the fall; the impact threshold of Bourke
 * et al. 2007, Gait Posture 26:194):
 *
 *  1. candidates: peaks of |a| (gravity included, unfiltered: the signal
 *     Kangas 2008 found most sensitive) above the lower of the fall and
 *     near-fall impact thresholds; peaks closer than merge_s are one impact;
 *  2. each candidate is judged once the post-impact window has been seen:
 *     - posture before (mean acceleration 3-1 s before the impact) and after
 *       (0.5-2 s after): tilt from the body vertical and the re-orientation
 *       between the two;
 *     - descent: the free-fall speed at contact, the largest integral of
 *       (g - |a|) ending where |a| last rose through 1 g before the peak
 *       (a controlled descent decelerates before contact, so its integral
 *       stays small; Kangas' "velocity" feature);
 *     - height lost before the impact: (|a| - g) integrated twice from 2 s
 *       before the peak to the impact onset, relative to the first second
 *       (whose mean vertical speed is zero: standing, or walking); a
 *       stumble sags a few cm, a fall to the floor loses the pelvis height;
 *     - stillness: the acceleration's SD in the post window;
 *  3. a FALL is an impact >= impact_min_g from an upright trunk, followed by
 *     a posture change (to lying: tilt >= lying_min_deg and re-oriented by
 *     >= lying_change_deg; or staying upright but lower: height lost >=
 *     drop_min_m or re-oriented >= tilt_change_deg) and stillness; when the
 *     trunk ends upright the descent must also be uncontrolled (free-fall
 *     speed >= fall_velocity_mps, a trunk left tilted, or an impact >=
 *     severe_impact_g) - a fast intentional sit is a controlled squat with a
 *     short drop and ends with an upright trunk;
 *  4. a NEAR-FALL is an impact >= near_impact_g from an upright trunk,
 *     standing out from the activity before it (near_ratio), with a trunk
 *     excursion >= near_tilt_deg around it and no posture change
 *     (Weiss et al. 2010, BMC Res Notes 3:62: near-falls caught by recovery
 *     steps show as sharp transients at the pelvis).
 *
 * Only the acceleration is used (the gyroscope of 6-channel frames is
 * ignored), so 3- and 6-channel input give the same events.
 *
 * Streaming: frames are pushed in any chunking with identical results;
 * an event can be popped post_delay_s + post_window_s (2 s by default)
 * after its impact, or when its cluster of high |a| closes (at most 2 s +
 * merge_s after the impact in continuous vigorous movement); memory is a
 * ring of ~7 s of frames, independent of the recording length (events
 * wait in a queue until popped: pop after each push). Frames with a non-finite
 * acceleration value are gaps: no event is reported whose windows touch a
 * gap.
 *
 * Thread safety: distinct detectors may run concurrently; one detector must
 * not be used by two threads at once. */
#ifndef KLONOS_DETECT_FALLS_H
#define KLONOS_DETECT_FALLS_H

#include <stddef.h>
#include <stdint.h>

/* Every field: unit, default, and where it comes from (docs/falls.md). */
typedef struct kl_falls_config {
  /* Impact. */
  double impact_min_g;      /* 2.0: least peak |a| of a fall (g, gravity included). Kangas 2008/2009 waist
                               impact thresholds 2-3 g [R]; lower than Bourke's trunk 3.52 g because a
                               toddler falls from a lower height */
  double severe_impact_g;   /* 3.5: an impact this hard is uncontrolled whatever the descent
                               (Bourke 2007 trunk upper fall threshold 3.52 g [R]) */
  double near_impact_g;     /* 1.8: least peak |a| of a near-fall (recovery step; assumption, above the
                               ~1.5-1.7 g of heel strikes at the lower back) */
  double merge_s;           /* 0.5: peaks closer than this are one impact (rebounds, second step) */
  /* Descent. */
  double descent_window_s;  /* 1.5: how far before the impact the free fall is sought */
  double fall_velocity_mps; /* 1.2: least free-fall speed at contact of an uncontrolled descent ending
                               upright (Kangas 2008 velocity threshold 0.7 m/s [R]; raised because fast
                               intentional sits drop a few cm, i.e. < ~1.1 m/s) */
  double drop_min_m;        /* 0.15: least height lost for "upright but lower" (a toddler's lower back
                               drops ~0.25-0.45 m from standing to the floor; a stumble nets ~0) */
  /* Posture windows, relative to the impact. */
  double pre_start_s;       /* 3.0: posture before = mean acceleration over [-pre_start, -pre_end] */
  double pre_end_s;         /* 1.0: before the descent (a fall takes 0.5-1.5 s) */
  double post_delay_s;      /* 0.5: posture and stillness after = [post_delay, post_delay + post_window] */
  double post_window_s;     /* 1.5: Kangas 2008 judged the posture ~2 s after the impact [R] */
  double upright_max_deg;   /* 45: trunk within this of the vertical before a fall or near-fall */
  double lying_min_deg;     /* 60: lying after (segment.h; Kangas' posture threshold 0.5 g on the long
                               axis is 60 deg [R]) */
  double lying_change_deg;  /* 40: least re-orientation of a fall to lying (guards a wrong vertical) */
  double tilt_change_deg;   /* 20: a fall ending upright that leaves the trunk re-oriented this much
                               (leaning back on the hands, on one side) is uncontrolled */
  double still_max_mps2;    /* 1.0: largest SD of the acceleration (vector, m/s^2) in the post window
                               (post-fall inactivity, Kangas 2008; sitting/lying sway is ~0.05) */
  /* Near-falls. */
  double near_tilt_deg;     /* 10: least trunk excursion within +-1 s of a near-fall's impact */
  double near_ratio;        /* 2.0: a near-fall's dynamic peak (|a| - g) must reach this x the largest of
                               the background (0.5-s block maxima 4.5-1 s before): a recovery step stands
                               out from the steps before it (assumption, like jerk.h's step_amp_ratio) */
  double refractory_s;      /* 5.0: after a fall, further impacts (rebounds, getting up) are not events */
  int reserved_i;           /* must be 0 */
} kl_falls_config;

void kl_falls_config_default(kl_falls_config *c);

/* kind */
#define KL_FALL 1
#define KL_NEAR_FALL 2

typedef struct kl_fall_event {
  double impact_s;          /* time of the peak impact, s from the first pushed frame */
  double start_s, end_s;    /* descent start (start of the free fall, or impact - 1 s) .. end of the post check */
  double impact_mps2;       /* peak |a| INCLUDING gravity (m/s^2; 1 g = 9.80665) */
  int from_state, to_state; /* enum kl_state of lib/cond/segment.h: before LYING (2), UPRIGHT_STILL (3),
                               WALKING (4) or OTHER (5, upright and moving); after LYING or UPRIGHT_STILL */
  int kind;                 /* KL_FALL or KL_NEAR_FALL */
  int lowered;              /* fall ending upright: 1 (sitting/kneeling: lower, trunk upright); else 0 */
  double confidence;        /* 0..1: 1 - 1/r, r the smallest margin of the deciding tests */
  /* The features behind the decision (docs/falls.md). */
  double descent_mps;       /* free-fall speed at contact */
  double drop_m;            /* height lost (m, + = lower) */
  double tilt_before_deg, tilt_after_deg; /* trunk from the vertical */
  double reorient_deg;      /* angle between the postures before and after */
  double excursion_deg;     /* largest trunk excursion within +-1 s */
  double background_ratio;  /* dynamic peak / largest dynamic block peak before */
  double still_sd_mps2;     /* acceleration SD after */
} kl_fall_event;

typedef struct kl_falls kl_falls;

/* rate_hz 25..1000 (KLONOS_E_RATE); nch 3 or 6 (KLONOS_E_CHANNELS); c NULL =
 * defaults, a bad field KLONOS_E_INVAL; vertical_sensor: the body's up axis
 * in sensor coordinates (any length > 0; KLONOS_E_INVAL if NULL, zero or not
 * finite). *out is NULL on error. */
int kl_falls_create(kl_falls **out, const kl_falls_config *c, double rate_hz, int nch,
                    const double vertical_sensor[3]);
void kl_falls_destroy(kl_falls **d);

/* Replace the body vertical for the frames pushed from now on (the analyzer
 * learns it from walking). KLONOS_E_INVAL for a zero/non-finite vector. */
int kl_falls_set_vertical(kl_falls *d, const double v[3]);

/* Interleaved frames of nch floats: acceleration in m/s^2 (sensor frame,
 * gravity included), then angular rate (ignored). KLONOS_E_STATE after finish. */
int kl_falls_push(kl_falls *d, const float *frames, size_t n);

/* End of input: decide what can be decided (an impact whose post window
 * runs past the end is not judged). Further pushes: KLONOS_E_STATE. */
int kl_falls_finish(kl_falls *d);

/* 1 = *e filled (events in impact order), 0 = none ready; KLONOS_E_INVAL on NULL. */
int kl_falls_pop(kl_falls *d, kl_fall_event *e);

/* Exposure and counters. Falls per hour are meaningful per hour UPRIGHT:
 * with upright_s == 0 (a lying infant) fall metrics do not apply. */
typedef struct kl_falls_stats {
  int64_t frames, gap_frames;
  double valid_s;           /* time with data */
  double upright_s;         /* of it, trunk within upright_max_deg of the vertical (1-s blocks) */
  double lying_s;           /* of it, trunk >= lying_min_deg from the vertical */
  int64_t candidates;       /* impacts above the lower threshold */
  int64_t falls, near_falls;
  int64_t rejected_gap, rejected_tail, rejected_not_upright, rejected_small, rejected_no_change,
      rejected_moving, rejected_controlled, rejected_refractory;
} kl_falls_stats;
int kl_falls_get_stats(const kl_falls *d, kl_falls_stats *s);

/* Development aid: called for every judged impact with its features (e as
 * it would be reported; kind 0 when rejected) and the outcome: 0 reported,
 * else the KL_FALLS_REJ_* reason. NULL switches it off. */
enum {
  KL_FALLS_REJ_REFRACTORY = 1, KL_FALLS_REJ_TAIL, KL_FALLS_REJ_GAP, KL_FALLS_REJ_NOT_UPRIGHT, KL_FALLS_REJ_MOVING,
  KL_FALLS_REJ_CONTROLLED, KL_FALLS_REJ_SMALL, KL_FALLS_REJ_NO_CHANGE
};
typedef void (*kl_falls_trace_fn)(void *ctx, const kl_fall_event *e, int outcome);
void kl_falls_set_trace(kl_falls *d, kl_falls_trace_fn fn, void *ctx);

#endif
