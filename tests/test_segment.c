/* Segmentation on signals whose state is known by construction. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cond/segment.h"

#define G 9.80665
#define RATE 100.0

/* Deterministic noise (LCG) so the test needs no global RNG. */
static double noise(unsigned *s) {
  *s = *s * 1664525u + 1013904223u;
  return ((*s >> 8) / 16777216.0 - 0.5) * 3.4641; /* unit variance uniform */
}

/* Sensor x = V for the default lower-back axes. */
static void frame(int state, double t, unsigned *rng, float f[3]) {
  double v = G, ap = 0, ml = 0;
  switch (state) {
    case KL_STATE_UPRIGHT_STILL:
      ap = 0.08 * sin(2 * M_PI * 0.5 * t) + 0.02 * noise(rng);
      ml = 0.05 * sin(2 * M_PI * 0.3 * t) + 0.02 * noise(rng);
      break;
    case KL_STATE_WALKING: { /* 1.8 steps/s: V and AP at step frequency, ML at stride */
      double fs = 1.8;
      v += 2.0 * sin(2 * M_PI * fs * t) + 0.6 * sin(4 * M_PI * fs * t) + 0.1 * noise(rng);
      ap = 1.2 * sin(2 * M_PI * fs * t + 0.8) + 0.1 * noise(rng);
      ml = 0.8 * sin(M_PI * fs * t) + 0.1 * noise(rng);
      break;
    }
    case KL_STATE_LYING: /* gravity along AP (supine) */
      v = 0.02 * noise(rng);
      ap = G + 0.02 * noise(rng);
      break;
    case KL_STATE_OTHER:
      v += 2.5 * noise(rng);
      ap = 2.5 * noise(rng);
      ml = 2.5 * noise(rng);
      break;
    case KL_STATE_NONWEAR: /* on a table, on its side */
      v = 0.002 * noise(rng);
      ml = G + 0.002 * noise(rng);
      break;
  }
  f[0] = (float)v; f[1] = (float)ml; f[2] = (float)ap;
}

static void run(const int *states, const double *durs, int nseg, double nonwear_window_s, int *confusion,
                size_t chunk, int *n_epochs) {
  kl_segment_config c;
  kl_segment_config_default(&c, RATE);
  c.nonwear_window_s = nonwear_window_s;
  kl_segmenter *s = NULL;
  cr_assert_eq(kl_segmenter_create(&s, &c), 0);
  unsigned rng = 12345;
  size_t total = 0;
  for (int k = 0; k < nseg; k++) total += (size_t)(durs[k] * RATE);
  float *buf = malloc(sizeof(float) * 3 * total);
  int *truth = malloc(sizeof(int) * total);
  size_t i = 0;
  for (int k = 0; k < nseg; k++)
    for (size_t j = 0; j < (size_t)(durs[k] * RATE); j++, i++) {
      frame(states[k], i / RATE, &rng, buf + 3 * i);
      truth[i] = states[k];
    }
  for (size_t p = 0; p < total; p += chunk) cr_assert_eq(kl_segmenter_push(s, buf + 3 * p, p + chunk > total ? total - p : chunk), 0);
  kl_segmenter_finish(s);
  kl_epoch e;
  int n = 0;
  while (kl_segmenter_pop(s, &e)) {
    size_t mid = (size_t)((e.start_s + 1.0) * RATE);
    if (mid >= total) mid = total - 1;
    confusion[truth[mid] * KL_STATE_COUNT + e.state]++;
    cr_assert_eq(e.index, n);
    n++;
  }
  *n_epochs = n;
  free(buf);
  free(truth);
  kl_segmenter_destroy(&s);
}

Test(segment, states_are_recognised) {
  const int states[] = {KL_STATE_UPRIGHT_STILL, KL_STATE_WALKING, KL_STATE_LYING, KL_STATE_OTHER,
                        KL_STATE_WALKING, KL_STATE_UPRIGHT_STILL, KL_STATE_NONWEAR};
  const double durs[] = {60, 60, 60, 40, 30, 40, 400};
  int conf[KL_STATE_COUNT * KL_STATE_COUNT] = {0}, n;
  run(states, durs, 7, 300, conf, 4096, &n);
  int right = 0, all = 0;
  for (int t = 0; t < KL_STATE_COUNT; t++)
    for (int p = 0; p < KL_STATE_COUNT; p++) {
      all += conf[t * KL_STATE_COUNT + p];
      if (t == p) right += conf[t * KL_STATE_COUNT + p];
    }
  for (int t = 0; t < KL_STATE_COUNT; t++) {
    for (int p = 0; p < KL_STATE_COUNT; p++) fprintf(stderr, "%5d", conf[t * KL_STATE_COUNT + p]);
    fprintf(stderr, "   truth %s\n", kl_state_name(t));
  }
  cr_assert_eq(n, 345);
  cr_assert_geq((double)right / all, 0.95, "accuracy %d/%d", right, all);
  for (int t = 1; t < KL_STATE_COUNT; t++)
    cr_assert_gt(conf[t * KL_STATE_COUNT + t], 0, "state %s never recognised", kl_state_name(t));
}

Test(segment, chunking_does_not_matter) {
  const int states[] = {KL_STATE_UPRIGHT_STILL, KL_STATE_WALKING, KL_STATE_LYING};
  const double durs[] = {20, 20, 20};
  int a[KL_STATE_COUNT * KL_STATE_COUNT] = {0}, b[KL_STATE_COUNT * KL_STATE_COUNT] = {0},
      c[KL_STATE_COUNT * KL_STATE_COUNT] = {0}, n1, n2, n3;
  run(states, durs, 3, 60, a, 1, &n1);
  run(states, durs, 3, 60, b, 7, &n2);
  run(states, durs, 3, 60, c, 4096, &n3);
  cr_assert_eq(n1, n2);
  cr_assert_eq(n1, n3);
  cr_assert_arr_eq(a, b, sizeof a);
  cr_assert_arr_eq(a, c, sizeof a);
}

Test(segment, tremor_is_not_walking) {
  kl_segment_config c;
  kl_segment_config_default(&c, RATE);
  kl_segmenter *s = NULL;
  kl_segmenter_create(&s, &c);
  float f[3];
  for (int i = 0; i < 3000; i++) {
    double t = i / RATE;
    f[0] = (float)(G + 1.2 * sin(2 * M_PI * 5.0 * t));
    f[1] = (float)(1.2 * sin(2 * M_PI * 5.0 * t + 0.5));
    f[2] = 0;
    kl_segmenter_push(s, f, 1);
  }
  kl_segmenter_finish(s);
  kl_epoch e;
  while (kl_segmenter_pop(s, &e)) cr_assert_neq(e.state, KL_STATE_WALKING, "epoch %lld", (long long)e.index);
  kl_segmenter_destroy(&s);
}

Test(segment, nan_epochs_are_missing) {
  kl_segment_config c;
  kl_segment_config_default(&c, RATE);
  kl_segmenter *s = NULL;
  kl_segmenter_create(&s, &c);
  float f[3] = {NAN, NAN, NAN};
  for (int i = 0; i < 1000; i++) kl_segmenter_push(s, f, 1);
  kl_segmenter_finish(s);
  kl_epoch e;
  int n = 0;
  while (kl_segmenter_pop(s, &e)) { cr_assert_eq(e.state, KL_STATE_MISSING); n++; }
  cr_assert_eq(n, 5);
  kl_segmenter_destroy(&s);
}

Test(segment, bad_config) {
  kl_segment_config c;
  kl_segment_config_default(&c, 0);
  kl_segmenter *s = NULL;
  cr_assert_eq(kl_segmenter_create(&s, &c), -1);
  kl_segment_config_default(&c, 1.0);
  cr_assert_neq(kl_segmenter_create(&s, &c), 0, "1 Hz gives a 2-sample epoch");
  kl_segment_config_default(&c, 100);
  c.vertical_ref[0] = 0;
  cr_assert_neq(kl_segmenter_create(&s, &c), 0);
  cr_assert_null(s);
}
