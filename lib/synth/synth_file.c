/* klonos_synth_write_files(): render a whole recording into a file and its
 * ground truth into a JSON file beside it, streaming both (memory bounded by
 * one render chunk), each under a temporary name until both are complete. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/writer.h"
#include "synth_json.h"
#include "synth_priv.h"

#define DEFAULT_CHUNK 65536

static void set_error(char *error, size_t len, const char *msg) {
  if (error && len) snprintf(error, len, "%s", msg);
}

static void count_item(klonos_synth_file_info *info, const klonos_synth_truth *it) {
  info->truth_items++;
  switch (it->kind) {
    case KLONOS_SYNTH_TRUTH_BOUT: info->bouts++; break;
    case KLONOS_SYNTH_TRUTH_POSTURE_CHANGE: info->posture_changes++; break;
    case KLONOS_SYNTH_TRUTH_STEP: info->steps++; break;
    case KLONOS_SYNTH_TRUTH_JERK: info->jerks++; break;
    case KLONOS_SYNTH_TRUTH_CLUSTER: info->clusters++; break;
    case KLONOS_SYNTH_TRUTH_TREMOR: info->tremors++; break;
    default: break;
  }
}

int klonos_synth_write_files(const klonos_synth_config *cfg, const klonos_synth_params *params,
                             const char *data_path, const char *truth_path, const klonos_synth_file_options *opt,
                             klonos_synth_file_info *info_out, char *error, size_t error_len) {
  char err[512] = "";
  klonos_synth_file_options o;
  klonos_synth_file_options_default(&o);
  if (opt) o = *opt;
  if (!cfg || !data_path || !*data_path) {
    set_error(error, error_len, !cfg ? "no config given" : "no output path given");
    return KLONOS_E_INVAL;
  }
  for (size_t i = 0; i < sizeof o.reserved; i++)
    if (o.reserved[i]) {
      set_error(error, error_len, "reserved file option bytes must be zero");
      return KLONOS_E_INVAL;
    }
  if (o.chunk_frames < 0) {
    set_error(error, error_len, "chunk_frames must be >= 0");
    return KLONOS_E_INVAL;
  }
  if (truth_path && strcmp(truth_path, data_path) == 0) {
    set_error(error, error_len, "the truth file and the data file must differ");
    return KLONOS_E_INVAL;
  }
  const size_t chunk = o.chunk_frames > 0 ? (size_t)o.chunk_frames : DEFAULT_CHUNK;

  klonos_synth *h = NULL;
  int rc = klonos_synth_open(&h, cfg, params);
  if (rc) {
    snprintf(err, sizeof err, "%s", h ? klonos_synth_error(h) : klonos_strerror(rc));
    klonos_synth_close(&h);
    set_error(error, error_len, err);
    return rc;
  }
  kl_writer *w = NULL;
  kl_atomic tf;
  memset(&tf, 0, sizeof tf);
  tf.fd = -1;
  float *buf = NULL;
  klonos_synth_file_info info;
  memset(&info, 0, sizeof info);
  kl_tjson js;
  FILE *tstream = NULL;

  rc = kl_writer_open(&w, data_path, cfg->channels, cfg->rate_hz, cfg->full_scale_g, o.sample_format, err, sizeof err);
  if (rc) goto done;
  if (truth_path) {
    rc = kl_atomic_create(&tf, truth_path, err, sizeof err);
    if (rc) goto done;
    tstream = kl_atomic_stream(&tf, err, sizeof err);
    if (!tstream) {
      rc = KLONOS_E_IO;
      goto done;
    }
    double rot[9];
    klonos_synth_rotation_matrix(h, rot);
    kl_tjson_begin(&js, tstream, &h->cfg, &h->p, rot, h->total_frames, kl_writer_format_name(w),
                   o.sample_format == KLONOS_SYNTH_SAMPLES_AUTO && strstr(kl_writer_format_name(w), "PCM_16")
                       ? KLONOS_SYNTH_SAMPLES_INT16
                       : o.sample_format);
  }
  buf = malloc(sizeof(float) * (size_t)cfg->channels * chunk);
  if (!buf) {
    rc = KLONOS_E_NOMEM;
    snprintf(err, sizeof err, "out of memory");
    goto done;
  }
  for (;;) {
    size_t got = 0, items = 0;
    rc = klonos_synth_render(h, buf, chunk, &got);
    if (rc) {
      snprintf(err, sizeof err, "%s", klonos_synth_error(h));
      goto done;
    }
    klonos_synth_truth_count(h, &items);
    for (size_t i = 0; i < items; i++) {
      klonos_synth_truth it;
      klonos_synth_truth_get(h, i, &it);
      count_item(&info, &it);
      if (tstream) kl_tjson_item(&js, &it);
    }
    if (got == 0) break;
    rc = kl_writer_write(w, buf, got, err, sizeof err);
    if (rc) goto done;
    info.frames += (int64_t)got;
  }
  klonos_synth_clipped_count(h, &info.clipped_samples);
  info.clipped_samples += kl_writer_clipped(w);
  if (tstream) {
    kl_tjson_end(&js, &info);
    rc = kl_atomic_finish(&tf, err, sizeof err);
    if (rc) goto done;
  }
  rc = kl_writer_finish(w, err, sizeof err);
  if (rc) goto done;
  /* Both complete: move them into place, data first. */
  rc = kl_writer_publish(w, err, sizeof err);
  if (rc) goto done;
  if (truth_path) {
    rc = kl_atomic_publish(&tf, err, sizeof err);
    if (rc) {
      remove(data_path); /* never leave a recording without its truth */
      goto done;
    }
  }

done:
  free(buf);
  kl_writer_close(&w);
  kl_atomic_discard(&tf);
  klonos_synth_close(&h);
  if (rc) set_error(error, error_len, err[0] ? err : klonos_strerror(rc));
  else if (info_out) *info_out = info;
  return rc;
}
