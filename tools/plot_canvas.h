/* Drawing surface and shared plot pieces (cairo): the output file written
 * atomically, the colour-blind-safe palette, text, panels with axes and
 * "nice" ticks. The two plots (plot_timeline.c, plot_scores.c) build on it. */
#ifndef KLONOS_TOOLS_PLOT_CANVAS_H
#define KLONOS_TOOLS_PLOT_CANVAS_H

#include <cairo.h>
#include <stddef.h>

typedef enum kl_plot_format { KL_PLOT_PNG, KL_PLOT_SVG, KL_PLOT_PDF } kl_plot_format;

typedef struct kl_canvas {
  cairo_surface_t *surface;
  cairo_t *cr;
  double width, height;     /* in points (PDF, SVG) = pixels (PNG) */
  kl_plot_format format;
  char path[4096];          /* the final file */
  char tmp_path[4200];      /* written first, renamed over path when complete */
  int fd;
  int write_failed;
} kl_canvas;

/* Format from the extension (.png .svg .pdf, any case); -1 if none of them. */
int kl_plot_format_from_path(const char *path, kl_plot_format *format);

/* Start a plot of width x height to be written to @p path. 0, or -1 with err. */
int kl_canvas_open(kl_canvas *c, const char *path, double width, double height, char *err, size_t errlen);
/* Finish: when @p keep, flush, fsync and rename over the final path
 * (never a half-written file under that name); otherwise, or on any error,
 * remove the temporary file. 0, or -1 with err. */
int kl_canvas_close(kl_canvas *c, int keep, char *err, size_t errlen);

/* Okabe & Ito (2008) palette: distinguishable with every common colour-vision deficiency. */
typedef struct kl_rgb { double r, g, b; } kl_rgb;
extern const kl_rgb KL_BLACK, KL_ORANGE, KL_SKY_BLUE, KL_GREEN, KL_YELLOW, KL_BLUE, KL_VERMILLION, KL_PURPLE,
    KL_GREY, KL_LIGHT_GREY;
void kl_set_colour(cairo_t *cr, kl_rgb c, double alpha);

enum { KL_ALIGN_LEFT = 0, KL_ALIGN_CENTRE = 1, KL_ALIGN_RIGHT = 2 };
/* Text with its baseline at y (valign 0) or vertically centred on y (valign 1). */
void kl_text(cairo_t *cr, double x, double y, const char *s, double size, int bold, int halign, int valign);
double kl_text_width(cairo_t *cr, const char *s, double size, int bold);
/* Text rotated 90 degrees anticlockwise, centred on (x, y): y-axis labels. */
void kl_text_vertical(cairo_t *cr, double x, double y, const char *s, double size);

/* A panel: a rectangle on the canvas with a data range on each axis. */
typedef struct kl_panel {
  double x, y, w, h;        /* canvas coordinates of the plotting area */
  double x0, x1, y0, y1;    /* data range */
} kl_panel;
double kl_px(const kl_panel *p, double x);
double kl_py(const kl_panel *p, double y);
/* Frame, horizontal grid lines and labelled y ticks, and the y-axis label. */
void kl_panel_frame(cairo_t *cr, const kl_panel *p, const char *ylabel, int yticks_max);
void kl_panel_clip(cairo_t *cr, const kl_panel *p);

/* Up to about @p max_ticks round tick values (1, 2, 5 x 10^k) covering [lo, hi]. */
double kl_nice_step(double lo, double hi, int max_ticks);
/* Format a tick value with as many decimals as the step needs. */
void kl_format_tick(double v, double step, char *buf, size_t len);

/* The time axis under panel @p p, whose x values are seconds. When
 * @p clock_origin_unix_s is finite, x = 0 is that wall-clock time (the
 * tracker's seconds since 1970 of the device clock) and ticks fall on round
 * clock times or calendar dates; otherwise they count time from the start.
 * Draws ticks, labels and vertical grid lines in every panel in @p grid
 * (may be NULL), and writes the axis title into @p title. */
void kl_time_axis(cairo_t *cr, const kl_panel *p, double clock_origin_unix_s, const kl_panel *grid, size_t ngrid,
                  char *title, size_t title_len);

#endif
