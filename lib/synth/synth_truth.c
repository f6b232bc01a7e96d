/* The ground-truth queue. Items wait in `pending` until every frame they
 * touch has been rendered, then move to `out` in the order of (end time,
 * kind, creation order). Because an item always enters `pending` before the
 * render position passes its end, that order is the same for every chunking
 * of the render calls. `out` holds only the last render call's items. */
#include <stdlib.h>
#include <string.h>

#include "synth_priv.h"

void kl_truth_free(kl_truth *t) {
  free(t->pending);
  free(t->out);
  memset(t, 0, sizeof *t);
}

void kl_truth_item_init(klonos_synth_truth *it, int kind, int state, double start_s, double end_s) {
  memset(it, 0, sizeof *it);
  it->kind = kind;
  it->state = state;
  it->from_state = state;
  it->id = -1;
  it->parent_id = -1;
  it->start_s = start_s;
  it->end_s = end_s;
  it->peak_s = start_s;
}

int kl_truth_add(kl_truth *t, const klonos_synth_truth *item) {
  if (t->n_pending == t->cap_pending) {
    size_t cap = t->cap_pending ? 2 * t->cap_pending : 32;
    kl_pending *p = realloc(t->pending, cap * sizeof *p);
    if (!p) return KLONOS_E_NOMEM;
    t->pending = p;
    t->cap_pending = cap;
  }
  t->pending[t->n_pending].item = *item;
  t->pending[t->n_pending].seq = t->seq++;
  t->n_pending++;
  return KLONOS_OK;
}

void kl_truth_clear_out(kl_truth *t) { t->n_out = 0; }

static int before(const kl_pending *a, const kl_pending *b) {
  if (a->item.end_s != b->item.end_s) return a->item.end_s < b->item.end_s;
  if (a->item.kind != b->item.kind) return a->item.kind < b->item.kind;
  return a->seq < b->seq;
}

int kl_truth_release(kl_truth *t, double t_now, double dt, int flush) {
  /* Partition: ready items to the front (stable for the rest). */
  size_t ready = 0;
  for (size_t i = 0; i < t->n_pending; i++) {
    if (flush || t->pending[i].item.end_s + dt <= t_now) {
      kl_pending tmp = t->pending[i];
      memmove(&t->pending[ready + 1], &t->pending[ready], (i - ready) * sizeof tmp);
      t->pending[ready++] = tmp;
    }
  }
  if (ready == 0) return KLONOS_OK;
  /* Insertion sort of the ready items (a handful per block). */
  for (size_t i = 1; i < ready; i++) {
    kl_pending x = t->pending[i];
    size_t j = i;
    while (j > 0 && before(&x, &t->pending[j - 1])) {
      t->pending[j] = t->pending[j - 1];
      j--;
    }
    t->pending[j] = x;
  }
  if (t->n_out + ready > t->cap_out) {
    size_t cap = t->cap_out ? t->cap_out : 64;
    while (cap < t->n_out + ready) cap *= 2;
    klonos_synth_truth *o = realloc(t->out, cap * sizeof *o);
    if (!o) return KLONOS_E_NOMEM;
    t->out = o;
    t->cap_out = cap;
  }
  for (size_t i = 0; i < ready; i++) {
    klonos_synth_truth it = t->pending[i].item;
    const int k = it.kind;
    /* Bouts and clusters carry the id they were created with (steps and
     * jerks refer to it); the others are numbered in release order. */
    if (k != KLONOS_SYNTH_TRUTH_BOUT && k != KLONOS_SYNTH_TRUTH_CLUSTER) it.id = t->next_id[k]++;
    t->counts[k]++;
    t->out[t->n_out++] = it;
  }
  memmove(t->pending, t->pending + ready, (t->n_pending - ready) * sizeof *t->pending);
  t->n_pending -= ready;
  return KLONOS_OK;
}
