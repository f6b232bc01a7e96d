/* The two plots (cairo; PNG, SVG or PDF by the file's extension), written
 * atomically: a temporary file in the same directory renamed into place.
 *  - the timeline of one recording (klonos analyze --plot): |acceleration|,
 *    jerks, activity states and per-epoch scores on one time axis;
 *  - a subject's scores over time (klonos track plot): each score against
 *    the date, its baseline, the MDC95 band, the trend and treatment events.
 * Layouts and colours: docs/tracker.md. */
#ifndef KLONOS_TOOLS_PLOT_H
#define KLONOS_TOOLS_PLOT_H

#include <stddef.h>

#include "pipeline.h"
#include "track_series.h"

/* Timeline of @p res (finished), the analysis of @p in_path with @p opt:
 * the file is read once more with the same reader options to draw the
 * acceleration envelope (min/max per pixel column: memory does not grow
 * with the recording). 0, or -1 with err. */
int kl_plot_timeline(const char *out_path, const char *in_path, const kl_pipeline_options *opt,
                     const kl_pipeline_result *res, double score_epoch_s, char *err, size_t errlen);

/* Free cairo's and fontconfig's process-wide caches once every plot is
 * done (no cairo object may be alive): keeps leak checkers (ASan) quiet. */
void kl_plot_release(void);

/* 1 when @p path ends in .png, .svg or .pdf (any case). */
int kl_plot_path_ok(const char *path);

/* The plot file of input @p index1 (1-based) of @p count: @p path itself
 * when count is 1, else "dir/name-INDEX.ext" (docs/tracker.md). */
void kl_plot_numbered_path(const char *path, int index1, int count, char *out, size_t len);

typedef struct kl_plot_event {
  double unix_s;            /* wall-clock seconds (track_time.h) */
  char label[48];
} kl_plot_event;

/* Scores over time of @p subject's series. @p mdc_source says where the
 * MDC95 values came from, for the caption ("default, not yet measured"...). */
int kl_plot_scores(const char *out_path, const char *subject, const kl_track_series *s, const kl_plot_event *events,
                   size_t nevents, const char *mdc_source, char *err, size_t errlen);

#endif
