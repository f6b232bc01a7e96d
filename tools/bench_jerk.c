/* bench_jerk: accuracy and speed of the streaming jerk detector (lib/detect/jerk.h).
 *
 * Three sources of recordings:
 *  - an independent generator written here (other jerk shapes, other gait
 *    and heel-strike models, a "fidgeting" background) so the detector is not
 *    judged only on the recordings of the library's own generator;
 *  - the library's synthetic generator (include/klonos/synth.h) with its
 *    ground truth;
 *  - real recordings of people without myoclonus (false events per hour).
 * An event is found when a detected onset lies within +-100 ms of a true
 * onset (one-to-one matching, closest pairs first).
 *
 * Usage: bench_jerk [--quick] [--only NAME] [--verbose] [--real DIR] [--no-real]
 *                   [--no-synth] [--no-indep] [--speed-only] */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cond/segment.h"
#include "detect/jerk.h"
#include "klonos/klonos.h"
#include "klonos/synth.h"

#define G0 9.80665
#define PI 3.14159265358979323846
#define MATCH_TOL_S 0.1

/* ------------------------------------------------------------------ */
/* Recordings with ground truth                                        */
/* ------------------------------------------------------------------ */

typedef struct tjerk {
  double onset, offset, amp;
  int shape, walking, cluster;
} tjerk;

typedef struct ttremor {
  double t0, t1, freq, amp;
} ttremor;

typedef struct recording {
  double fs;
  int nch;
  size_t n;
  float *x;
  tjerk *tj;
  size_t ntj, captj;
  ttremor *tt;
  size_t ntt, captt;
  double walk_s; /* time spent walking */
  double *walk_t0, *walk_t1;
  size_t nwalk, capwalk;
} recording;

static void rec_free(recording *r) {
  free(r->x);
  free(r->tj);
  free(r->tt);
  free(r->walk_t0);
  free(r->walk_t1);
  memset(r, 0, sizeof *r);
}

static void add_tj(recording *r, tjerk j) {
  if (r->ntj == r->captj) {
    r->captj = r->captj ? 2 * r->captj : 64;
    r->tj = realloc(r->tj, r->captj * sizeof *r->tj);
  }
  r->tj[r->ntj++] = j;
}

static void add_tt(recording *r, ttremor t) {
  if (r->ntt == r->captt) {
    r->captt = r->captt ? 2 * r->captt : 16;
    r->tt = realloc(r->tt, r->captt * sizeof *r->tt);
  }
  r->tt[r->ntt++] = t;
}

static void add_walk(recording *r, double t0, double t1) {
  if (r->nwalk == r->capwalk) {
    r->capwalk = r->capwalk ? 2 * r->capwalk : 16;
    r->walk_t0 = realloc(r->walk_t0, r->capwalk * sizeof(double));
    r->walk_t1 = realloc(r->walk_t1, r->capwalk * sizeof(double));
  }
  r->walk_t0[r->nwalk] = t0;
  r->walk_t1[r->nwalk] = t1;
  r->nwalk++;
  r->walk_s += t1 - t0;
}

static int in_walk(const recording *r, double t) {
  for (size_t i = 0; i < r->nwalk; i++)
    if (t >= r->walk_t0[i] && t < r->walk_t1[i]) return 1;
  return 0;
}

/* ------------------------------------------------------------------ */
/* Independent generator                                               */
/* ------------------------------------------------------------------ */

typedef struct rng {
  uint64_t s;
} rng;
static uint64_t rnext(rng *r) {
  uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static double runif(rng *r) { return (double)(rnext(r) >> 11) * (1.0 / 9007199254740992.0); }
static double rrange(rng *r, double a, double b) { return a + (b - a) * runif(r); }
static double rlogu(rng *r, double a, double b) { return exp(rrange(r, log(a), log(b))); }
static double rnorm(rng *r) {
  double u = runif(r), v = runif(r);
  if (u < 1e-300) u = 1e-300;
  return sqrt(-2.0 * log(u)) * cos(2 * PI * v);
}
static void rdir(rng *r, double d[3]) {
  double n;
  do {
    for (int k = 0; k < 3; k++) d[k] = rnorm(r);
    n = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
  } while (n < 1e-6);
  for (int k = 0; k < 3; k++) d[k] /= n;
}

/* Jerk shapes on tau in [0, 1], unit peak |f|, zero outside; none of them is
 * one of the library generator's (sin^2, windowed sine, damped sin(4 pi)). */
enum { SH_HALFSINE, SH_GAUSSDERIV, SH_DAMPED, SH_FASTRISE, SH_COUNT };
static double shape_raw(int sh, double tau) {
  if (tau <= 0 || tau >= 1) return 0;
  switch (sh) {
    case SH_HALFSINE: return sin(PI * tau);
    case SH_GAUSSDERIV: {
      double u = (tau - 0.5) / 0.15;
      return -u * exp(-0.5 * u * u) / 0.60653066 * (1 - pow(2 * tau - 1, 8));
    }
    case SH_DAMPED: return sin(2 * PI * 2.5 * tau) * exp(-4 * tau) / 0.7548;
    default: {
      double u = tau / 0.15;
      return u * exp(1 - u) * (1 - tau) * (1 - tau) / 0.7225;
    }
  }
}

typedef struct gj {
  double t0, dur, amp, dir[3];
  int shape, cluster;
} gj;
typedef struct gtrem {
  double t0, t1, f, amp, ph, dir[3];
} gtrem;
typedef struct gbump {
  double t0, dur, amp, dir[3];
} gbump;
typedef struct gpost {
  double t0, dur, from, to; /* pitch, rad */
} gpost;
typedef struct gstep {
  double t, dur, amp, hs;
  int side;
} gstep;

typedef struct gmodel {
  double dur_s;
  double rot[9];
  double sway_f[2][6], sway_ph[2][6], sway_a[2][6];
  int fidget;
  double fid_f[3][8], fid_ph[3][8], fid_a[3][8];
  gj *j;
  size_t nj;
  gtrem *tr;
  size_t ntr;
  gbump *bu;
  size_t nbu;
  gpost *po;
  size_t npo;
  gstep *st;
  size_t nst;
  double walk_amp;
  double noise_ug;
  double pitch0;
} gmodel;

static void gm_free(gmodel *m) {
  free(m->j);
  free(m->tr);
  free(m->bu);
  free(m->po);
  free(m->st);
}

typedef struct gparams {
  double dur_s;
  double sway_rms;
  int fidget;
  double fidget_rms, bumps_per_min;
  double jerk_per_min, amp_lo, amp_hi, dur_lo, dur_hi;
  double cluster_per_min;
  int walking;
  double tremor_per_min;
  double posture_per_min;
  int rotate;
  int jerks_in_walk_only;
  double hs_lo, hs_hi;
} gparams;

static void make_rot(rng *r, double m[9], int rotate) {
  if (!rotate) {
    double I[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    memcpy(m, I, sizeof I);
    return;
  }
  /* uniform random rotation from a unit quaternion */
  double q[4], n = 0;
  for (int k = 0; k < 4; k++) {
    q[k] = rnorm(r);
    n += q[k] * q[k];
  }
  n = sqrt(n);
  for (int k = 0; k < 4; k++) q[k] /= n;
  double w = q[0], x = q[1], y = q[2], z = q[3];
  double M[9] = {1 - 2 * (y * y + z * z), 2 * (x * y - z * w),     2 * (x * z + y * w),
                 2 * (x * y + z * w),     1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
                 2 * (x * z - y * w),     2 * (y * z + x * w),     1 - 2 * (x * x + y * y)};
  memcpy(m, M, sizeof M);
}

/* Timeline: walking bouts alternate with standing pauses when walking. */
static void build_model(gmodel *m, const gparams *p, uint64_t seed) {
  memset(m, 0, sizeof *m);
  rng r = {seed * 7919 + 17};
  m->dur_s = p->dur_s;
  m->noise_ug = 150;
  m->pitch0 = 3 * PI / 180;
  make_rot(&r, m->rot, p->rotate);
  for (int a = 0; a < 2; a++) {
    double s2 = 0;
    for (int k = 0; k < 6; k++) {
      m->sway_f[a][k] = rlogu(&r, 0.1, 1.5);
      m->sway_ph[a][k] = rrange(&r, 0, 2 * PI);
      m->sway_a[a][k] = 1.0 / sqrt(m->sway_f[a][k]);
      s2 += 0.5 * m->sway_a[a][k] * m->sway_a[a][k];
    }
    for (int k = 0; k < 6; k++) m->sway_a[a][k] *= p->sway_rms / sqrt(s2);
  }
  m->fidget = p->fidget;
  if (p->fidget)
    for (int a = 0; a < 3; a++) {
      double s2 = 0;
      for (int k = 0; k < 8; k++) {
        m->fid_f[a][k] = rlogu(&r, 0.3, 3.0);
        m->fid_ph[a][k] = rrange(&r, 0, 2 * PI);
        m->fid_a[a][k] = 1.0;
        s2 += 0.5;
      }
      for (int k = 0; k < 8; k++) m->fid_a[a][k] *= p->fidget_rms / sqrt(3 * s2);
    }
  size_t cap = 1024;
  /* walking bouts and steps */
  double tw = 5;
  size_t capst = 1024;
  if (p->walking) m->st = malloc(capst * sizeof(gstep));
  m->walk_amp = rrange(&r, 1.4, 2.4);
  while (p->walking && tw < p->dur_s - 10) {
    double len = rrange(&r, 30, 120), T = rrange(&r, 0.48, 0.64);
    double t1 = tw + len < p->dur_s - 3 ? tw + len : p->dur_s - 3;
    int side = 0;
    for (double t = tw; t < t1; side ^= 1) {
      double d = T * (1 + (side ? 0.03 : -0.03)) * (1 + 0.04 * rnorm(&r));
      if (m->nst == capst) m->st = realloc(m->st, (capst *= 2) * sizeof(gstep));
      m->st[m->nst++] = (gstep){t, d, (1 + 0.12 * rnorm(&r)) * (side ? 0.9 : 1.1), rrange(&r, p->hs_lo, p->hs_hi), side};
      t += d;
    }
    tw = t1 + rrange(&r, 5, 20);
  }
  /* jerks: isolated and clusters */
  m->j = malloc(cap * sizeof(gj));
  double t = 2;
  while (p->jerk_per_min > 0) {
    t += 0.6 + rrange(&r, 0, 2 * (60.0 / p->jerk_per_min - 0.6));
    if (t > p->dur_s - 2) break;
    if (m->nj == cap) m->j = realloc(m->j, (cap *= 2) * sizeof(gj));
    gj *j = &m->j[m->nj];
    j->t0 = t;
    j->dur = rrange(&r, p->dur_lo, p->dur_hi);
    j->amp = rlogu(&r, p->amp_lo, p->amp_hi);
    j->shape = (int)(runif(&r) * SH_COUNT);
    j->cluster = -1;
    rdir(&r, j->dir);
    m->nj++;
  }
  t = 3;
  int cid = 0;
  while (p->cluster_per_min > 0) {
    t += rrange(&r, 0.5, 1.5) * 60.0 / p->cluster_per_min;
    if (t > p->dur_s - 15) break;
    int cnt = 3 + (int)(runif(&r) * 6);
    double tj = t;
    for (int i = 0; i < cnt; i++) {
      if (m->nj == cap) m->j = realloc(m->j, (cap *= 2) * sizeof(gj));
      gj *j = &m->j[m->nj++];
      j->t0 = tj;
      j->dur = rrange(&r, p->dur_lo, p->dur_hi);
      j->amp = rlogu(&r, p->amp_lo, p->amp_hi);
      j->shape = (int)(runif(&r) * SH_COUNT);
      j->cluster = cid;
      rdir(&r, j->dir);
      tj += rrange(&r, 0.25, 1.2);
    }
    cid++;
    t = tj;
  }
  /* tremor episodes */
  m->tr = malloc(256 * sizeof(gtrem));
  t = 3;
  while (p->tremor_per_min > 0 && m->ntr < 256) {
    t += rrange(&r, 0.3, 1.7) * 60.0 / p->tremor_per_min;
    double d = rrange(&r, 5, 30);
    if (t + d > p->dur_s - 2) break;
    gtrem *e = &m->tr[m->ntr++];
    e->t0 = t;
    e->t1 = t + d;
    e->f = rrange(&r, 4, 9);
    e->amp = rrange(&r, 0.1, 1.5);
    e->ph = rrange(&r, 0, 2 * PI);
    rdir(&r, e->dir);
    t += d;
  }
  /* slow voluntary movements (0.5-1.2 s) of the fidgeting background */
  cap = 1024;
  m->bu = malloc(cap * sizeof(gbump));
  t = 1;
  while (p->bumps_per_min > 0) {
    t += rrange(&r, 0.2, 1.8) * 60.0 / p->bumps_per_min;
    if (t > p->dur_s - 2) break;
    if (m->nbu == cap) m->bu = realloc(m->bu, (cap *= 2) * sizeof(gbump));
    gbump *b = &m->bu[m->nbu++];
    b->t0 = t;
    b->dur = rrange(&r, 0.5, 1.2);
    b->amp = rrange(&r, 0.5, 2.0);
    rdir(&r, b->dir);
  }
  /* posture changes: trunk pitch between upright (3 deg), seated-reclined (-15) and lying (80) */
  m->po = malloc(1024 * sizeof(gpost));
  t = 4;
  double cur = m->pitch0;
  while (p->posture_per_min > 0 && m->npo < 1024) {
    t += rrange(&r, 0.5, 1.5) * 60.0 / p->posture_per_min;
    double d = rrange(&r, 1.2, 3.5);
    if (t + d > p->dur_s - 2) break;
    double opts[3] = {3 * PI / 180, -15 * PI / 180, 80 * PI / 180};
    double to;
    do to = opts[(int)(runif(&r) * 3)];
    while (fabs(to - cur) < 1e-9);
    m->po[m->npo++] = (gpost){t, d, cur, to};
    cur = to;
    t += d;
  }
}

static double minjerk(double u) { /* 0..1 minimum-jerk position profile */
  if (u <= 0) return 0;
  if (u >= 1) return 1;
  return u * u * u * (10 - 15 * u + 6 * u * u);
}

/* Pitch at time t and the forward acceleration of the transition. */
static double pitch_at(const gmodel *m, double t, double *bump) {
  double p = m->pitch0;
  *bump = 0;
  for (size_t i = 0; i < m->npo; i++) {
    const gpost *q = &m->po[i];
    if (t < q->t0) break;
    double u = (t - q->t0) / q->dur;
    p = q->from + (q->to - q->from) * minjerk(u);
    if (u < 1) *bump = 1.5 * sin(2 * PI * u) * (q->to > q->from ? 1 : -1); /* trunk swing, +-1.5 m/s^2 */
  }
  return p;
}

/* Walking pattern (body V, AP, ML) at t; steps[] sorted; *k is a search hint. */
static void walk_at(const gmodel *m, double t, size_t *k, double out[3]) {
  out[0] = out[1] = out[2] = 0;
  if (!m->nst) return;
  while (*k + 1 < m->nst && m->st[*k + 1].t <= t) (*k)++;
  while (*k > 0 && m->st[*k].t > t) (*k)--;
  const gstep *s = &m->st[*k];
  if (t < s->t || t >= s->t + s->dur) return;
  if (*k + 1 < m->nst && m->st[*k + 1].t > s->t + s->dur + 1e-9) {
    /* last step of a bout: fall through, pattern fades */
  }
  double ph = (t - s->t) / s->dur;
  double A = m->walk_amp * s->amp;
  /* ramp over the first/last step of a bout */
  double ramp = 1;
  if (*k == 0 || m->st[*k - 1].t + m->st[*k - 1].dur < s->t - 1e-9) ramp = ph;
  if (*k + 1 >= m->nst || m->st[*k + 1].t > s->t + s->dur + 1e-9) ramp = 1 - ph;
  out[0] = A * ramp * (cos(2 * PI * (ph - 0.15)) + 0.4 * cos(4 * PI * (ph - 0.08)) + 0.15 * cos(6 * PI * ph));
  out[1] = 0.7 * A * ramp * (cos(2 * PI * (ph - 0.55)) + 0.3 * cos(4 * PI * (ph - 0.3)));
  double sph = (s->side ? ph + 1 : ph) / 2;
  out[2] = 0.45 * A * ramp * sin(2 * PI * sph);
  /* heel strike: a 30 ms half-sine, mostly vertical; toe-off: a smaller 50 ms one */
  double x = t - s->t;
  if (x < 0.03) {
    double h = s->hs * ramp * sin(PI * x / 0.03);
    out[0] += h;
    out[1] -= 0.5 * h;
    out[2] += (s->side ? 0.3 : -0.3) * h;
  }
  double xo = x - 0.62 * s->dur;
  if (xo > 0 && xo < 0.05) out[1] += 0.35 * s->hs * ramp * sin(PI * xo / 0.05);
}

static void render_model(const gmodel *m, double fs, recording *rec, int with_walk_truth) {
  memset(rec, 0, sizeof *rec);
  rec->fs = fs;
  rec->nch = 3;
  rec->n = (size_t)llround(m->dur_s * fs);
  rec->x = malloc(rec->n * 3 * sizeof(float));
  rng nr = {(uint64_t)(fs * 1000) + 99};
  double sig = m->noise_ug * 1e-6 * G0 * sqrt(fs / 2);
  size_t k = 0;
  size_t jlo = 0;
  const double dt = 1.0 / fs;
  for (size_t i = 0; i < rec->n; i++) {
    double t = (double)i / fs;
    double bump;
    double th = pitch_at(m, t, &bump);
    double b[3] = {G0 * cos(th), G0 * sin(th) + bump, 0};
    for (int kk = 0; kk < 6; kk++) {
      b[1] += m->sway_a[0][kk] * sin(2 * PI * m->sway_f[0][kk] * t + m->sway_ph[0][kk]);
      b[2] += m->sway_a[1][kk] * sin(2 * PI * m->sway_f[1][kk] * t + m->sway_ph[1][kk]);
    }
    if (m->fidget)
      for (int a = 0; a < 3; a++)
        for (int kk = 0; kk < 8; kk++) b[a] += m->fid_a[a][kk] * sin(2 * PI * m->fid_f[a][kk] * t + m->fid_ph[a][kk]);
    double w[3];
    /* sample-interval averages of the fast components (8 sub-samples) */
    for (int q = 0; q < 8; q++) {
      double tq = t - dt + (q + 0.5) * dt / 8;
      walk_at(m, tq, &k, w);
      for (int a = 0; a < 3; a++) b[a] += w[a] / 8;
    }
    while (jlo < m->nj && m->j[jlo].t0 + m->j[jlo].dur < t - dt - 1) jlo++;
    for (size_t q = 0; q < m->nj; q++) {
      const gj *j = &m->j[q];
      if (j->t0 > t || j->t0 + j->dur < t - dt) continue;
      double v = 0;
      for (int s = 0; s < 8; s++) v += shape_raw(j->shape, (t - dt + (s + 0.5) * dt / 8 - j->t0) / j->dur) / 8;
      for (int a = 0; a < 3; a++) b[a] += j->amp * v * j->dir[a];
    }
    for (size_t q = 0; q < m->ntr; q++) {
      const gtrem *e = &m->tr[q];
      if (t < e->t0 || t >= e->t1) continue;
      double env = fmin(1, fmin((t - e->t0) / 0.5, (e->t1 - t) / 0.5));
      double v = e->amp * env * (1 + 0.1 * sin(2 * PI * 0.3 * t)) * sin(2 * PI * e->f * (t - e->t0) + e->ph);
      for (int a = 0; a < 3; a++) b[a] += v * e->dir[a];
    }
    for (size_t q = 0; q < m->nbu; q++) {
      const gbump *u = &m->bu[q];
      if (t < u->t0 || t >= u->t0 + u->dur) continue;
      double s = sin(PI * (t - u->t0) / u->dur);
      for (int a = 0; a < 3; a++) b[a] += u->amp * s * s * u->dir[a];
    }
    for (int a = 0; a < 3; a++) {
      double v = m->rot[3 * a] * b[0] + m->rot[3 * a + 1] * b[1] + m->rot[3 * a + 2] * b[2];
      rec->x[3 * i + a] = (float)(v + sig * rnorm(&nr));
    }
  }
  for (size_t q = 0; q < m->nj; q++) {
    const gj *j = &m->j[q];
    tjerk tj = {j->t0, j->t0 + j->dur, j->amp, j->shape, 0, j->cluster};
    add_tj(rec, tj);
  }
  /* sort truth by onset */
  for (size_t a = 1; a < rec->ntj; a++) {
    tjerk x = rec->tj[a];
    size_t b = a;
    while (b > 0 && rec->tj[b - 1].onset > x.onset) {
      rec->tj[b] = rec->tj[b - 1];
      b--;
    }
    rec->tj[b] = x;
  }
  for (size_t q = 0; q < m->ntr; q++) add_tt(rec, (ttremor){m->tr[q].t0, m->tr[q].t1, m->tr[q].f, m->tr[q].amp});
  if (with_walk_truth && m->nst) {
    double b0 = m->st[0].t;
    for (size_t q = 0; q < m->nst; q++) {
      int last = q + 1 >= m->nst || m->st[q + 1].t > m->st[q].t + m->st[q].dur + 1e-9;
      if (last) {
        add_walk(rec, b0, m->st[q].t + m->st[q].dur);
        if (q + 1 < m->nst) b0 = m->st[q + 1].t;
      }
    }
  }
  for (size_t q = 0; q < rec->ntj; q++) rec->tj[q].walking = in_walk(rec, rec->tj[q].onset);
}

/* ------------------------------------------------------------------ */
/* Library generator                                                   */
/* ------------------------------------------------------------------ */

static int render_synth(int scenario, double severity, double dur, double fs, uint64_t seed, int rotation,
                        recording *rec) {
  memset(rec, 0, sizeof *rec);
#ifdef BENCH_NO_SYNTH
  (void)scenario, (void)severity, (void)dur, (void)fs, (void)seed, (void)rotation;
  return KLONOS_E_STATE;
#else
  klonos_synth_config cfg;
  klonos_synth_config_default(&cfg);
  cfg.scenario = scenario;
  cfg.severity = severity;
  cfg.duration_s = dur;
  cfg.rate_hz = fs;
  cfg.seed = seed;
  cfg.rotation = rotation;
  klonos_synth *s = NULL;
  int rc = klonos_synth_open(&s, &cfg, NULL);
  if (rc != KLONOS_OK) {
    fprintf(stderr, "synth: %s\n", klonos_synth_error(s));
    klonos_synth_close(&s);
    return rc;
  }
  int64_t nf = 0;
  klonos_synth_frame_count(s, &nf);
  rec->fs = fs;
  rec->nch = 3;
  rec->n = (size_t)nf;
  rec->x = malloc(rec->n * 3 * sizeof(float));
  size_t pos = 0;
  for (;;) {
    size_t got = 0;
    size_t want = rec->n - pos < 65536 ? rec->n - pos : 65536;
    rc = klonos_synth_render(s, rec->x + 3 * pos, want, &got);
    if (rc != KLONOS_OK) break;
    size_t nt = 0;
    klonos_synth_truth_count(s, &nt);
    for (size_t i = 0; i < nt; i++) {
      klonos_synth_truth it;
      klonos_synth_truth_get(s, i, &it);
      if (it.kind == KLONOS_SYNTH_TRUTH_JERK)
        add_tj(rec, (tjerk){it.start_s, it.end_s, it.amplitude_mps2, it.detail, it.state == KLONOS_SYNTH_STATE_WALKING,
                            (int)it.parent_id});
      else if (it.kind == KLONOS_SYNTH_TRUTH_TREMOR)
        add_tt(rec, (ttremor){it.start_s, it.end_s, it.freq_hz, it.amplitude_mps2});
      else if (it.kind == KLONOS_SYNTH_TRUTH_BOUT && it.state == KLONOS_SYNTH_STATE_WALKING)
        add_walk(rec, it.start_s, it.end_s);
    }
    pos += got;
    if (got == 0 || pos >= rec->n) break;
  }
  klonos_synth_close(&s);
  for (size_t a = 1; a < rec->ntj; a++) {
    tjerk x = rec->tj[a];
    size_t b = a;
    while (b > 0 && rec->tj[b - 1].onset > x.onset) {
      rec->tj[b] = rec->tj[b - 1];
      b--;
    }
    rec->tj[b] = x;
  }
  return rc;
#endif
}

/* ------------------------------------------------------------------ */
/* Running the detector and scoring                                    */
/* ------------------------------------------------------------------ */

typedef struct detections {
  kl_jerk_event *ev;
  size_t nev, cap;
  kl_tremor_episode tr[512];
  size_t ntr;
  size_t nclusters;
  kl_jerk_stats st;
  double seconds;
} detections;

static void drain(kl_jerk_detector *d, detections *o) {
  kl_jerk_event e;
  while (kl_jerk_detector_pop_event(d, &e) == 1) {
    if (o->nev == o->cap) {
      o->cap = o->cap ? 2 * o->cap : 256;
      o->ev = realloc(o->ev, o->cap * sizeof *o->ev);
    }
    o->ev[o->nev++] = e;
  }
  kl_tremor_episode t;
  while (kl_jerk_detector_pop_tremor(d, &t) == 1)
    if (o->ntr < 512) o->tr[o->ntr++] = t;
  kl_jerk_cluster c;
  while (kl_jerk_detector_pop_cluster(d, &c) == 1) o->nclusters++;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int g_ctrace = 0;
static void ctrace_fn(void *ctx, double on, double pj, double pa, int dec, const double *f, int nf) {
  (void)ctx;
  printf("    CAND %.3f %.1f %.2f %d", on, pj, pa, dec);
  for (int i = 0; i < nf; i++) printf(" %.2f", f[i]);
  printf("\n");
}

static int run_detector(const float *x, size_t n, int nch, double fs, const kl_jerk_config *cfg, size_t chunk,
                        detections *o) {
  memset(o, 0, sizeof *o);
  kl_jerk_detector *d = NULL;
  int rc = kl_jerk_detector_create(&d, cfg, fs, nch);
  if (rc != KLONOS_OK) return rc;
  if (g_ctrace) kl_jerk_detector_set_candidate_trace(d, ctrace_fn, NULL);
  double t0 = now_s();
  for (size_t i = 0; i < n && rc == KLONOS_OK; i += chunk) {
    size_t k = n - i < chunk ? n - i : chunk;
    rc = kl_jerk_detector_push(d, x + i * (size_t)nch, k);
    drain(d, o);
  }
  if (rc == KLONOS_OK) rc = kl_jerk_detector_finish(d);
  o->seconds = now_s() - t0;
  drain(d, o);
  kl_jerk_detector_stats(d, &o->st);
  kl_jerk_detector_destroy(&d);
  return rc;
}

typedef struct score {
  size_t ntruth, ndet, tp;
  double sens, prec, fp_per_10min, fp_walk_per_10min;
  double onset_err_med, onset_err_p95;
  size_t fp_walk;
} score;

typedef struct pair {
  double d;
  size_t t, e;
} pair;
static int cmp_pair(const void *a, const void *b) {
  double x = ((const pair *)a)->d, y = ((const pair *)b)->d;
  return x < y ? -1 : x > y;
}
static int cmp_dbl(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* One-to-one matching, closest pairs first; match_t[i] = detection index or -1. */
static score score_rec(const recording *r, const detections *o, long *match_t, long *match_e, int verbose,
                       const char *label) {
  score s;
  memset(&s, 0, sizeof s);
  s.ntruth = r->ntj;
  s.ndet = o->nev;
  size_t np = 0, cap = 64;
  pair *p = malloc(cap * sizeof *p);
  size_t e0 = 0;
  for (size_t t = 0; t < r->ntj; t++) {
    while (e0 < o->nev && o->ev[e0].onset_s < r->tj[t].onset - MATCH_TOL_S) e0++;
    for (size_t e = e0; e < o->nev && o->ev[e].onset_s <= r->tj[t].onset + MATCH_TOL_S; e++) {
      if (np == cap) p = realloc(p, (cap *= 2) * sizeof *p);
      p[np++] = (pair){fabs(o->ev[e].onset_s - r->tj[t].onset), t, e};
    }
  }
  qsort(p, np, sizeof *p, cmp_pair);
  for (size_t i = 0; i < r->ntj; i++) match_t[i] = -1;
  for (size_t i = 0; i < o->nev; i++) match_e[i] = -1;
  double *err = malloc((r->ntj + 1) * sizeof(double));
  size_t nerr = 0;
  for (size_t i = 0; i < np; i++) {
    if (match_t[p[i].t] >= 0 || match_e[p[i].e] >= 0) continue;
    match_t[p[i].t] = (long)p[i].e;
    match_e[p[i].e] = (long)p[i].t;
    s.tp++;
    err[nerr++] = o->ev[p[i].e].onset_s - r->tj[p[i].t].onset;
  }
  free(p);
  double dur = (double)r->n / r->fs;
  s.sens = s.ntruth ? (double)s.tp / (double)s.ntruth : NAN;
  s.prec = s.ndet ? (double)s.tp / (double)s.ndet : NAN;
  s.fp_per_10min = (double)(s.ndet - s.tp) / (dur / 600.0);
  for (size_t e = 0; e < o->nev; e++)
    if (match_e[e] < 0 && in_walk(r, o->ev[e].onset_s)) s.fp_walk++;
  s.fp_walk_per_10min = r->walk_s > 0 ? (double)s.fp_walk / (r->walk_s / 600.0) : NAN;
  if (nerr) {
    qsort(err, nerr, sizeof(double), cmp_dbl);
    s.onset_err_med = err[nerr / 2];
    s.onset_err_p95 = err[(size_t)(0.95 * (double)(nerr - 1))];
  }
  free(err);
  if (verbose) {
    for (size_t t = 0; t < r->ntj; t++)
      if (match_t[t] < 0) {
        /* the nearest detection, for diagnosis */
        double best = 1e9;
        for (size_t e = 0; e < o->nev; e++)
          if (fabs(o->ev[e].onset_s - r->tj[t].onset) < fabs(best)) best = o->ev[e].onset_s - r->tj[t].onset;
        printf("  %s MISS t=%.3f dur=%.0fms amp=%.2f shape=%d walk=%d cl=%d nearest=%+.3f\n", label, r->tj[t].onset,
               1000 * (r->tj[t].offset - r->tj[t].onset), r->tj[t].amp, r->tj[t].shape, r->tj[t].walking,
               r->tj[t].cluster, best);
      }
    for (size_t e = 0; e < o->nev; e++)
      if (match_e[e] < 0) {
        double best = 1e9;
        for (size_t t = 0; t < r->ntj; t++)
          if (fabs(o->ev[e].onset_s - r->tj[t].onset) < fabs(best)) best = o->ev[e].onset_s - r->tj[t].onset;
        printf("  %s FP   t=%.3f-%.3f j=%.1f acc=%.2f conf=%.2f walk=%d nearest_truth=%+.3f\n", label,
               o->ev[e].onset_s, o->ev[e].offset_s, o->ev[e].peak_jerk_mps3, o->ev[e].peak_acc_mps2,
               o->ev[e].confidence, in_walk(r, o->ev[e].onset_s), -best);
      }
  }
  return s;
}

/* ------------------------------------------------------------------ */
/* Scenarios                                                           */
/* ------------------------------------------------------------------ */

typedef struct scen {
  const char *name;
  int synth;          /* 1 = library generator */
  int synth_scenario;
  double severity;
  gparams gp;
  const char *target; /* what is asserted in the brief */
} scen;

static gparams gp_base(double dur) {
  gparams p;
  memset(&p, 0, sizeof p);
  p.dur_s = dur;
  p.sway_rms = 0.04;
  p.dur_lo = 0.03;
  p.dur_hi = 0.15;
  p.hs_lo = 3;
  p.hs_hi = 6;
  return p;
}

static int g_verbose = 0;
static uint64_t g_seed = 1234;
static double g_dur = 0;

/* --cfg name=value overrides (tuning experiments) */
static struct {
  const char *name;
  size_t off;
} cfg_fields[] = {
#define F(x) {#x, offsetof(kl_jerk_config, x)}
    F(band_lo_hz), F(band_hi_hz), F(floor_block_s), F(floor_window_s), F(thr_abs_mps3), F(thr_floor_ratio),
    F(thr_mad_k), F(thr_lo_fraction), F(thr_abs_acc_mps2), F(refractory_s), F(max_duration_s), F(min_acc_mps2), F(posture_max_deg), F(local_ratio), F(gap_guard_s),
    F(tremor_window_s), F(tremor_hop_s), F(tremor_peak_ratio), F(tremor_min_amp_mps2), F(step_min_s),
    F(step_max_s), F(step_tolerance), F(step_amp_ratio), F(step_amp_ratio_acc), F(step_min_activity_mps2),
    F(step_min_autocorr), F(rhythm_window_s), F(cluster_max_gap_s),
#undef F
};
static char *g_cfg_over[32];
static int g_ncfg_over = 0;
static void bench_config(kl_jerk_config *c) {
  kl_jerk_config_default(c);
  for (int i = 0; i < g_ncfg_over; i++) {
    char name[64];
    const char *eq = strchr(g_cfg_over[i], '=');
    if (!eq || (size_t)(eq - g_cfg_over[i]) >= sizeof name) continue;
    memcpy(name, g_cfg_over[i], (size_t)(eq - g_cfg_over[i]));
    name[eq - g_cfg_over[i]] = 0;
    for (size_t k = 0; k < sizeof cfg_fields / sizeof cfg_fields[0]; k++)
      if (!strcmp(cfg_fields[k].name, name)) *(double *)((char *)c + cfg_fields[k].off) = atof(eq + 1);
  }
}

static void print_header(void) {
  printf("%-26s %5s %6s %6s %6s %6s %6s %8s %8s %8s %7s %5s\n", "scenario", "rate", "truth", "det", "TP", "sens",
         "prec", "FP/10m", "FPw/10m", "onset_ms", "p95_ms", "trem");
}

static void run_scen(const scen *sc, double fs, size_t *count_out, int quick) {
  recording rec;
  uint64_t seed = g_seed;
  if (sc->synth) {
    double dur = g_dur > 0 ? g_dur : quick ? 300 : 1800;
    if (render_synth(sc->synth_scenario, sc->severity, dur, fs, seed, KLONOS_SYNTH_ROTATION_RANDOM, &rec) != KLONOS_OK) {
      printf("%-26s %5.0f  (synth unavailable)\n", sc->name, fs);
      rec_free(&rec);
      return;
    }
  } else {
    gmodel m;
    gparams gp = sc->gp;
    if (quick) gp.dur_s /= 4;
    build_model(&m, &gp, seed);
    render_model(&m, fs, &rec, 1);
    gm_free(&m);
  }
  kl_jerk_config cfg;
  bench_config(&cfg);
  detections o;
  int rc = run_detector(rec.x, rec.n, rec.nch, fs, &cfg, 4096, &o);
  if (rc != KLONOS_OK) {
    printf("%-26s detector error %d\n", sc->name, rc);
    rec_free(&rec);
    return;
  }
  if (g_ctrace)
    for (size_t i = 0; i < rec.ntj; i++) printf("    TRUTH %.3f %.2f %.3f\n", rec.tj[i].onset, rec.tj[i].amp, rec.tj[i].offset - rec.tj[i].onset);
  long *mt = malloc((rec.ntj + 1) * sizeof(long)), *me = malloc((o.nev + 1) * sizeof(long));
  char label[64];
  snprintf(label, sizeof label, "%s@%g", sc->name, fs);
  score s = score_rec(&rec, &o, mt, me, g_verbose, label);
  /* tremor: episodes reported vs truth */
  size_t trem_hit = 0;
  for (size_t i = 0; i < rec.ntt; i++)
    for (size_t k = 0; k < o.ntr; k++)
      if (o.tr[k].start_s < rec.tt[i].t1 && o.tr[k].end_s > rec.tt[i].t0 &&
          fabs(o.tr[k].freq_hz - rec.tt[i].freq) <= 0.3) {
        trem_hit++;
        break;
      }
  char trem[32];
  if (rec.ntt)
    snprintf(trem, sizeof trem, "%zu/%zu", trem_hit, rec.ntt);
  else
    snprintf(trem, sizeof trem, "%zu", o.ntr);
  printf("%-26s %5.0f %6zu %6zu %6zu %6.3f %6.3f %8.2f %8.2f %8.1f %7.1f %5s\n", sc->name, fs, s.ntruth, s.ndet, s.tp,
         s.sens, s.prec, s.fp_per_10min, s.fp_walk_per_10min, 1000 * s.onset_err_med, 1000 * s.onset_err_p95, trem);
  if (g_verbose)
    printf("  stats: cand=%lld long=%lld tail=%lld posture=%lld bg=%lld trem=%lld rhythm=%lld gap=%lld acc=%lld ffts=%lld rhythm_tests=%lld periodic=%lld clusters=%zu\n",
           (long long)o.st.candidates, (long long)o.st.rejected_long, (long long)o.st.rejected_tail,
           (long long)o.st.rejected_posture, (long long)o.st.rejected_background, (long long)o.st.rejected_tremor,
           (long long)o.st.rejected_rhythm, (long long)o.st.rejected_gap, (long long)o.st.accepted,
           (long long)o.st.spectral_tests, (long long)o.st.rhythm_tests, (long long)o.st.periodic_hops, o.nclusters);
  if (g_verbose)
    for (size_t k = 0; k < o.ntr; k++)
      printf("  tremor %.1f-%.1f f=%.2f amp=%.2f\n", o.tr[k].start_s, o.tr[k].end_s, o.tr[k].freq_hz, o.tr[k].amp_mps2);
  fflush(stdout);
  *count_out = o.nev;
  free(mt);
  free(me);
  free(o.ev);
  rec_free(&rec);
}

/* ------------------------------------------------------------------ */
/* Real recordings                                                     */
/* ------------------------------------------------------------------ */

static void run_real(const char *dir) {
  static const char *files[] = {
      "axivity-ax3-lowerback-gait/ax3_sample.cwa",
      "axivity-ax3-walk-610steps/example-610-steps.cwa",
      "geneactiv-bin/GENEActiv_testfile.bin",
      "actigraph-gt3x-waist/actigraph_testfile.gt3x",
      "mobilised-lowerback/HA001/TimeMeasure1_Test11_Trial1.csv",
      "mobilised-lowerback/HA001/TimeMeasure1_Test5_Trial1.csv",
      "mobilised-lowerback/HA001/TimeMeasure1_Test5_Trial2.csv",
      "mobilised-lowerback/HA002/TimeMeasure1_Test11_Trial1.csv",
      "mobilised-lowerback/HA002/TimeMeasure1_Test5_Trial1.csv",
      "mobilised-lowerback/HA002/TimeMeasure1_Test5_Trial2.csv",
      "mobilised-lowerback/MS001/TimeMeasure1_Test11_Trial1.csv",
      "mobilised-lowerback/MS001/TimeMeasure1_Test5_Trial1.csv",
      "mobilised-lowerback/MS001/TimeMeasure1_Test5_Trial2.csv",
      "ipol-lowerback-feet-gait/1-1_lb.txt",
      "ipol-lowerback-feet-gait/5-2_lb.txt",
      "axivity-ax3-wrist/ax3_testfile.cwa",
      "axivity-ax6-gyro/ax6_testfile.cwa",
  };
  printf("\nReal recordings (people without myoclonus): false events per hour\n");
  printf("%-58s %6s %8s %6s %8s %6s %7s %6s\n", "file", "rate", "minutes", "events", "per_hour", "tremor", "still_m",
         "still_ev");
  double tot_s = 0, tot_still_s = 0;
  size_t tot_ev = 0, tot_still_ev = 0;
  for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, files[f]);
    klonos_reader_options opt;
    klonos_reader_options_default(&opt);
    if (strstr(files[f], "mobilised")) opt.rate_hz = 100;
    opt.gap_fill = KLONOS_GAP_FILL_NAN; /* idle-sleep gaps (gt3x) are gaps, not a held sample */
    klonos_reader *rd = NULL;
    int rc = klonos_reader_open(&rd, path, &opt);
    if (rc != KLONOS_OK) {
      printf("%-58s unreadable: %s\n", files[f], klonos_reader_error(rd));
      klonos_reader_close(&rd);
      continue;
    }
    klonos_recording_info info;
    klonos_reader_info(rd, &info);
    int nch = info.channel_count;
    double fs = info.sample_rate_hz;
    size_t cap = 1 << 16, n = 0;
    float *x = malloc(cap * (size_t)nch * sizeof(float));
    for (;;) {
      if (n + 65536 > cap) {
        cap *= 2;
        x = realloc(x, cap * (size_t)nch * sizeof(float));
      }
      size_t got = 0;
      rc = klonos_reader_read_f32(rd, x + n * (size_t)nch, 65536, &got);
      if (rc != KLONOS_OK || got == 0) break;
      n += got;
    }
    klonos_reader_close(&rd);
    double rate = fs;
    if (rate < 25) rate = 25; /* not expected: the files are 30-200 Hz */
    kl_jerk_config cfg;
    bench_config(&cfg);
    detections o;
    rc = run_detector(x, n, nch, fs, &cfg, 4096, &o);
    size_t nvalid = 0;
    for (size_t i = 0; i < n; i++) nvalid += isfinite(x[i * nch]) != 0;
    double minutes = (double)nvalid / fs / 60.0; /* recorded time: gaps excluded */
    int special = strstr(files[f], "wrist") || strstr(files[f], "ax6");
    /* activity states (lib/cond/segment.h), vertical = the mean acceleration direction */
    size_t nep = 0;
    unsigned char *ep_state = NULL;
    double still_s = 0;
    size_t still_ev = 0;
    {
      kl_segment_config sc;
      kl_segment_config_default(&sc, fs);
      double g[3] = {0, 0, 0};
      for (size_t i = 0; i < n; i++)
        if (isfinite(x[i * nch]))
          for (int c = 0; c < 3; c++) g[c] += x[i * nch + (size_t)c];
      for (int c = 0; c < 3; c++) sc.vertical_ref[c] = g[c];
      kl_segmenter *sg = NULL;
      float *a3 = malloc(n * 3 * sizeof(float));
      for (size_t i = 0; i < n; i++)
        for (int c = 0; c < 3; c++) a3[3 * i + c] = x[i * nch + (size_t)c];
      ep_state = calloc(n / (size_t)(2 * fs) + 4, 1);
      if (kl_segmenter_create(&sg, &sc) == KLONOS_OK) {
        kl_segmenter_push(sg, a3, n);
        kl_segmenter_finish(sg);
        kl_epoch ep;
        while (kl_segmenter_pop(sg, &ep) == 1)
          if ((size_t)ep.index < n / (size_t)(2 * fs) + 4) {
            ep_state[ep.index] = (unsigned char)ep.state;
            if (ep.index + 1 > (int64_t)nep) nep = (size_t)ep.index + 1;
            if (ep.state == KL_STATE_UPRIGHT_STILL || ep.state == KL_STATE_LYING) still_s += 2.0;
          }
      }
      kl_segmenter_destroy(&sg);
      free(a3);
      for (size_t e = 0; e < o.nev; e++) {
        size_t k = (size_t)(o.ev[e].onset_s / 2.0);
        if (k < nep && (ep_state[k] == KL_STATE_UPRIGHT_STILL || ep_state[k] == KL_STATE_LYING)) still_ev++;
      }
    }
    printf("%-58s %6.1f %8.2f %6zu %8.2f %6zu %7.2f %6zu%s\n", files[f], fs, minutes, o.nev,
           (double)o.nev / (minutes / 60.0), o.ntr, still_s / 60.0, still_ev, special ? "  (not daily-life wear)" : "");
    if (!special) {
      tot_still_s += still_s;
      tot_still_ev += still_ev;
    }
    free(ep_state);
    if (g_verbose) {
      for (size_t e = 0; e < o.nev; e++) {
        /* orientation change: mean raw acc 1.5-0.5 s before vs 0.5-1.5 s after */
        double m0[3] = {0, 0, 0}, m1[3] = {0, 0, 0};
        long i0 = lround((o.ev[e].onset_s - 1.5) * fs), i1 = lround((o.ev[e].onset_s - 0.5) * fs);
        long j0 = lround((o.ev[e].offset_s + 0.5) * fs), j1 = lround((o.ev[e].offset_s + 1.5) * fs);
        for (long q = i0; q < i1; q++)
          if (q >= 0 && q < (long)n)
            for (int c = 0; c < 3; c++) m0[c] += x[q * nch + c];
        for (long q = j0; q < j1; q++)
          if (q >= 0 && q < (long)n)
            for (int c = 0; c < 3; c++) m1[c] += x[q * nch + c];
        double dp = 0, n0 = 0, n1 = 0;
        for (int c = 0; c < 3; c++) dp += m0[c] * m1[c], n0 += m0[c] * m0[c], n1 += m1[c] * m1[c];
        double ang = n0 > 0 && n1 > 0 ? acos(fmax(-1, fmin(1, dp / sqrt(n0 * n1)))) * 180 / PI : -1;
        printf("    event %.2f-%.2f j=%.1f acc=%.2f conf=%.2f cl=%lld dtilt=%.0f\n", o.ev[e].onset_s, o.ev[e].offset_s,
               o.ev[e].peak_jerk_mps3, o.ev[e].peak_acc_mps2, o.ev[e].confidence, (long long)o.ev[e].cluster_id, ang);
      }
      for (size_t k = 0; k < o.ntr; k++)
        printf("    tremor %.1f-%.1f f=%.2f amp=%.2f\n", o.tr[k].start_s, o.tr[k].end_s, o.tr[k].freq_hz,
               o.tr[k].amp_mps2);
    }
    if (!special) {
      tot_s += (double)nvalid / fs;
      tot_ev += o.nev;
    }
    free(o.ev);
    free(x);
  }
  printf("%-58s %6s %8.2f %6zu %8.2f\n", "TOTAL daily-life-like (without wrist/AX6)", "", tot_s / 60, tot_ev,
         (double)tot_ev / (tot_s / 3600.0));
  printf("%-58s %6s %8.2f %6zu %8.2f\n", "  of which in upright-still or lying epochs (segmenter)", "", tot_still_s / 60,
         tot_still_ev, tot_still_s > 0 ? (double)tot_still_ev / (tot_still_s / 3600.0) : 0.0);
}

/* ------------------------------------------------------------------ */

static void run_speed(int which) {
  printf("\nThroughput of the detector alone (100 Hz, chunks of 4096 frames)\n");
  const char *names[2] = {"stance with jerks", "walking with jerks"};
  for (int w = 0; w < 2; w++) {
    if (which >= 0 && w != which) continue;
    gparams gp = gp_base(1800);
    if (w) {
      gp.walking = 1;
      gp.jerk_per_min = 10;
      gp.amp_lo = 4;
      gp.amp_hi = 14;
    } else {
      gp.jerk_per_min = 12;
      gp.amp_lo = 1.5;
      gp.amp_hi = 12;
    }
    gmodel m;
    build_model(&m, &gp, 77);
    recording rec;
    render_model(&m, 100, &rec, 0);
    gm_free(&m);
    kl_jerk_config cfg;
    kl_jerk_config_default(&cfg);
    double best = 1e30;
    for (int rep = 0; rep < 5; rep++) {
      detections o;
      run_detector(rec.x, rec.n, 3, 100, &cfg, 4096, &o);
      if (o.seconds < best) best = o.seconds;
      free(o.ev);
    }
    printf("  %-22s %.1f M frames/s (%.1f ns/frame)\n", names[w], (double)rec.n / best / 1e6, 1e9 * best / (double)rec.n);
    rec_free(&rec);
  }
}

int main(int argc, char **argv) {
  int quick = 0, real = 1, synth = 1, indep = 1, speed = 1, speed_only = 0;
  const char *only = NULL;
  const char *real_dir = "../shared/data/real";
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--quick"))
      quick = 1;
    else if (!strcmp(argv[i], "--verbose"))
      g_verbose = 1;
    else if (!strcmp(argv[i], "--cfg") && i + 1 < argc && g_ncfg_over < 32)
      g_cfg_over[g_ncfg_over++] = argv[++i];
    else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
      g_seed = (uint64_t)atoll(argv[++i]);
    else if (!strcmp(argv[i], "--dur") && i + 1 < argc)
      g_dur = atof(argv[++i]);
    else if (!strcmp(argv[i], "--only") && i + 1 < argc)
      only = argv[++i];
    else if (!strcmp(argv[i], "--real") && i + 1 < argc)
      real_dir = argv[++i];
    else if (!strcmp(argv[i], "--ctrace"))
      g_ctrace = 1;
    else if (!strcmp(argv[i], "--no-real"))
      real = 0;
    else if (!strcmp(argv[i], "--no-synth"))
      synth = 0;
    else if (!strcmp(argv[i], "--no-indep"))
      indep = 0;
    else if (!strcmp(argv[i], "--no-speed"))
      speed = 0;
    else if (!strcmp(argv[i], "--speed-only"))
      speed_only = 1;
    else if (!strcmp(argv[i], "--speed-stance"))
      speed_only = 2;
    else if (!strcmp(argv[i], "--speed-walking"))
      speed_only = 3;
    else {
      fprintf(stderr, "usage: bench_jerk [--quick] [--verbose] [--only NAME] [--real DIR] [--no-real] [--no-synth] "
                      "[--no-indep] [--no-speed] [--speed-only]\n");
      return 2;
    }
  }
  if (speed_only) {
    run_speed(speed_only - 2);
    return 0;
  }
  scen sc[32];
  int ns = 0;
  gparams p;
  /* independent generator */
  p = gp_base(1200);
  p.jerk_per_min = 12;
  p.amp_lo = 1.5;
  p.amp_hi = 12;
  sc[ns++] = (scen){"indep-stance-jerks", 0, 0, 0, p, "sens>=.95 prec>=.95"};
  p.rotate = 1;
  sc[ns++] = (scen){"indep-stance-jerks-rot", 0, 0, 0, p, "sens>=.95 prec>=.95"};
  p = gp_base(1200);
  p.cluster_per_min = 4;
  p.amp_lo = 1.5;
  p.amp_hi = 12;
  sc[ns++] = (scen){"indep-clusters", 0, 0, 0, p, "sens>=.90 prec>=.95"};
  p = gp_base(1800);
  p.walking = 1;
  p.jerk_per_min = 10;
  p.amp_lo = 4;
  p.amp_hi = 14;
  sc[ns++] = (scen){"indep-walking-jerks", 0, 0, 0, p, "sens>=.85 FP<=1/10min walking"};
  p = gp_base(1800);
  p.walking = 1;
  sc[ns++] = (scen){"indep-walking", 0, 0, 0, p, "FP<=1/10min"};
  p = gp_base(1800);
  p.tremor_per_min = 3;
  sc[ns++] = (scen){"indep-tremor", 0, 0, 0, p, "FP<=1/10min, tremor reported"};
  p = gp_base(1200);
  p.posture_per_min = 4;
  sc[ns++] = (scen){"indep-posture", 0, 0, 0, p, "0 events"};
  p = gp_base(1200);
  p.sway_rms = 0.25;
  p.fidget = 1;
  p.fidget_rms = 0.5;
  p.bumps_per_min = 10;
  p.jerk_per_min = 6;
  p.amp_lo = 1.5;
  p.amp_hi = 12;
  sc[ns++] = (scen){"indep-fidget-jerks", 0, 0, 0, p, "high background"};
  p = gp_base(1200);
  p.jerk_per_min = 10;
  p.amp_lo = 2;
  p.amp_hi = 12;
  p.dur_lo = 0.15;
  p.dur_hi = 0.25;
  sc[ns++] = (scen){"indep-slow-jerks-150-250ms", 0, 0, 0, p, "unseen durations"};
  int first_synth = ns;
  /* library generator */
  sc[ns++] = (scen){"synth-stance-jerks", 1, KLONOS_SYNTH_STANCE_JERKS, 1.0, p, ""};
  sc[ns++] = (scen){"synth-stance-jerks-s0.5", 1, KLONOS_SYNTH_STANCE_JERKS, 0.5, p, ""};
  sc[ns++] = (scen){"synth-clusters", 1, KLONOS_SYNTH_CLUSTERS, 1.0, p, ""};
  sc[ns++] = (scen){"synth-walking-jerks", 1, KLONOS_SYNTH_WALKING_JERKS, 1.0, p, ""};
  sc[ns++] = (scen){"synth-walking-jerks-s0.5", 1, KLONOS_SYNTH_WALKING_JERKS, 0.5, p, ""};
  sc[ns++] = (scen){"synth-walking", 1, KLONOS_SYNTH_WALKING, 1.0, p, ""};
  sc[ns++] = (scen){"synth-walking-s0.5", 1, KLONOS_SYNTH_WALKING, 0.5, p, ""};
  sc[ns++] = (scen){"synth-walking-s0", 1, KLONOS_SYNTH_WALKING, 0.0, p, ""};
  sc[ns++] = (scen){"synth-tremor", 1, KLONOS_SYNTH_TREMOR, 1.0, p, ""};
  sc[ns++] = (scen){"synth-daily", 1, KLONOS_SYNTH_DAILY, 0.5, p, ""};
  sc[ns++] = (scen){"synth-stance", 1, KLONOS_SYNTH_STANCE, 1.0, p, ""};

  const double rates[3] = {50, 100, 200};
  print_header();
  for (int i = 0; i < ns; i++) {
    if (only && !strstr(sc[i].name, only)) continue;
    if (sc[i].synth && !synth) continue;
    if (!sc[i].synth && !indep) continue;
    (void)first_synth;
    size_t cnt[3] = {0, 0, 0};
    for (int r = 0; r < 3; r++) run_scen(&sc[i], rates[r], &cnt[r], quick);
    size_t lo = cnt[0], hi = cnt[0];
    for (int r = 1; r < 3; r++) {
      if (cnt[r] < lo) lo = cnt[r];
      if (cnt[r] > hi) hi = cnt[r];
    }
    printf("%-26s  counts 50/100/200 Hz: %zu/%zu/%zu, spread %.1f%%   [%s]\n", sc[i].name, cnt[0], cnt[1], cnt[2],
           hi ? 100.0 * (double)(hi - lo) / (double)hi : 0.0, sc[i].target);
  }
  if (real && !only) run_real(real_dir);
  if (speed && !only) run_speed(-1);
  return 0;
}
