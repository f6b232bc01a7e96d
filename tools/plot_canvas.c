#include "plot.h"
#include "plot_canvas.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <errno.h>
#include <fontconfig/fontconfig.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

const kl_rgb KL_BLACK = {0, 0, 0}, KL_ORANGE = {0.902, 0.624, 0}, KL_SKY_BLUE = {0.337, 0.706, 0.914},
             KL_GREEN = {0, 0.620, 0.451}, KL_YELLOW = {0.941, 0.894, 0.259}, KL_BLUE = {0, 0.447, 0.698},
             KL_VERMILLION = {0.835, 0.369, 0}, KL_PURPLE = {0.800, 0.475, 0.655}, KL_GREY = {0.6, 0.6, 0.6},
             KL_LIGHT_GREY = {0.88, 0.88, 0.88};

void kl_set_colour(cairo_t *cr, kl_rgb c, double alpha) { cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha); }

int kl_plot_format_from_path(const char *path, kl_plot_format *format) {
  const char *dot = strrchr(path, '.');
  const char *slash = strrchr(path, '/');
  if (!dot || (slash && dot < slash)) return -1;
  if (strcasecmp(dot, ".png") == 0) *format = KL_PLOT_PNG;
  else if (strcasecmp(dot, ".svg") == 0) *format = KL_PLOT_SVG;
  else if (strcasecmp(dot, ".pdf") == 0) *format = KL_PLOT_PDF;
  else return -1;
  return 0;
}

static cairo_status_t write_fd(void *closure, const unsigned char *data, unsigned int length) {
  kl_canvas *c = closure;
  while (length) {
    ssize_t w = write(c->fd, data, length);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) { c->write_failed = errno ? errno : EIO; return CAIRO_STATUS_WRITE_ERROR; }
    data += w;
    length -= (unsigned)w;
  }
  return CAIRO_STATUS_SUCCESS;
}

/* A hidden temporary beside the target (same directory: the rename is
 * atomic), created with O_EXCL under a name no other writer uses, with the
 * permissions the final file should have (0666 less the umask). */
static int open_tmp(kl_canvas *c, char *err, size_t errlen) {
  const char *slash = strrchr(c->path, '/');
  int dirlen = slash ? (int)(slash - c->path + 1) : 0;
  const char *base = slash ? slash + 1 : c->path;
  static unsigned counter;
  for (int attempt = 0; attempt < 100; attempt++) {
    unsigned salt = (unsigned)time(NULL) ^ (unsigned)clock() ^ (__atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED) * 2654435761u);
    snprintf(c->tmp_path, sizeof c->tmp_path, "%.*s.%s.tmp-%ld-%08x", dirlen, c->path, base, (long)getpid(), salt);
    c->fd = open(c->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (c->fd >= 0) return 0;
    if (errno != EEXIST) break;
  }
  snprintf(err, errlen, "%s: cannot write the plot: %s", c->path, strerror(errno));
  c->tmp_path[0] = 0;
  return -1;
}

int kl_canvas_open(kl_canvas *c, const char *path, double width, double height, char *err, size_t errlen) {
  memset(c, 0, sizeof *c);
  c->fd = -1;
  if (kl_plot_format_from_path(path, &c->format) != 0) {
    snprintf(err, errlen, "%s: the plot file must end in .png, .svg or .pdf", path);
    return -1;
  }
  if (strlen(path) >= sizeof c->path) { snprintf(err, errlen, "plot path too long"); return -1; }
  snprintf(c->path, sizeof c->path, "%s", path);
  c->width = width;
  c->height = height;
  if (open_tmp(c, err, errlen) != 0) return -1;
  switch (c->format) {
    case KL_PLOT_PNG: c->surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)width, (int)height); break;
    case KL_PLOT_SVG: c->surface = cairo_svg_surface_create_for_stream(write_fd, c, width, height); break;
    case KL_PLOT_PDF: c->surface = cairo_pdf_surface_create_for_stream(write_fd, c, width, height); break;
  }
  c->cr = cairo_create(c->surface);
  if (cairo_status(c->cr) != CAIRO_STATUS_SUCCESS) {
    snprintf(err, errlen, "%s: cannot start the plot: %s", path, cairo_status_to_string(cairo_status(c->cr)));
    kl_canvas_close(c, 0, err, 0);
    return -1;
  }
  /* White background: PNG viewers show transparency as black or checkers. */
  cairo_set_source_rgb(c->cr, 1, 1, 1);
  cairo_paint(c->cr);
  return 0;
}

int kl_canvas_close(kl_canvas *c, int keep, char *err, size_t errlen) {
  int ok = keep;
  cairo_status_t st = c->cr ? cairo_status(c->cr) : CAIRO_STATUS_SUCCESS;
  if (st != CAIRO_STATUS_SUCCESS) ok = 0;
  if (c->cr) cairo_destroy(c->cr);
  c->cr = NULL;
  if (c->surface) {
    if (ok && c->format == KL_PLOT_PNG) st = cairo_surface_write_to_png_stream(c->surface, write_fd, c);
    cairo_surface_finish(c->surface); /* SVG and PDF write their trailer here */
    if (st == CAIRO_STATUS_SUCCESS) st = cairo_surface_status(c->surface);
    cairo_surface_destroy(c->surface);
    c->surface = NULL;
  }
  if (st != CAIRO_STATUS_SUCCESS || c->write_failed) ok = 0;
  int saved = c->write_failed;
  if (c->fd >= 0) {
    if (ok && fsync(c->fd) != 0) { ok = 0; saved = errno; }
    if (close(c->fd) != 0 && ok) { ok = 0; saved = errno; }
    c->fd = -1;
  }
  if (ok && rename(c->tmp_path, c->path) != 0) { ok = 0; saved = errno; }
  if (!ok && c->tmp_path[0]) unlink(c->tmp_path);
  if (!ok && keep && errlen) {
    if (saved) snprintf(err, errlen, "%s: cannot write the plot: %s", c->path, strerror(saved));
    else snprintf(err, errlen, "%s: cannot draw the plot: %s", c->path, cairo_status_to_string(st));
  }
  return ok ? 0 : -1;
}

void kl_plot_release(void) {
  cairo_debug_reset_static_data();
  FcFini();
}

static void font(cairo_t *cr, double size, int bold) {
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

double kl_text_width(cairo_t *cr, const char *s, double size, int bold) {
  cairo_text_extents_t e;
  font(cr, size, bold);
  cairo_text_extents(cr, s, &e);
  return e.x_advance;
}

void kl_text(cairo_t *cr, double x, double y, const char *s, double size, int bold, int halign, int valign) {
  cairo_text_extents_t e;
  font(cr, size, bold);
  cairo_text_extents(cr, s, &e);
  double dx = halign == KL_ALIGN_CENTRE ? -e.x_advance / 2 : halign == KL_ALIGN_RIGHT ? -e.x_advance : 0;
  double dy = valign ? size * 0.36 : 0; /* about half the cap height */
  cairo_move_to(cr, x + dx, y + dy);
  cairo_show_text(cr, s);
}

void kl_text_vertical(cairo_t *cr, double x, double y, const char *s, double size) {
  cairo_save(cr);
  cairo_translate(cr, x, y);
  cairo_rotate(cr, -M_PI / 2);
  kl_text(cr, 0, 0, s, size, 0, KL_ALIGN_CENTRE, 1);
  cairo_restore(cr);
}

double kl_px(const kl_panel *p, double x) { return p->x + (x - p->x0) / (p->x1 - p->x0) * p->w; }
double kl_py(const kl_panel *p, double y) { return p->y + p->h - (y - p->y0) / (p->y1 - p->y0) * p->h; }

void kl_panel_clip(cairo_t *cr, const kl_panel *p) {
  cairo_rectangle(cr, p->x, p->y, p->w, p->h);
  cairo_clip(cr);
}

double kl_nice_step(double lo, double hi, int max_ticks) {
  double span = hi - lo;
  if (!(span > 0) || max_ticks < 1) return 1;
  double raw = span / max_ticks;
  double mag = pow(10, floor(log10(raw)));
  static const double mult[] = {1, 2, 5, 10};
  for (int i = 0; i < 4; i++)
    if (mult[i] * mag >= raw) return mult[i] * mag;
  return 10 * mag;
}

void kl_format_tick(double v, double step, char *buf, size_t len) {
  int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
  if (decimals > 6) decimals = 6;
  if (fabs(v) < step * 1e-6) v = 0; /* no "-0" */
  snprintf(buf, len, "%.*f", decimals, v);
}

void kl_panel_frame(cairo_t *cr, const kl_panel *p, const char *ylabel, int yticks_max) {
  cairo_save(cr);
  double step = kl_nice_step(p->y0, p->y1, yticks_max);
  cairo_set_line_width(cr, 0.6);
  for (double v = ceil(p->y0 / step - 1e-9) * step; v <= p->y1 + step * 1e-9; v += step) {
    double y = round(kl_py(p, v)) + 0.5;
    kl_set_colour(cr, KL_LIGHT_GREY, 1);
    cairo_move_to(cr, p->x, y);
    cairo_line_to(cr, p->x + p->w, y);
    cairo_stroke(cr);
    char lab[32];
    kl_format_tick(v, step, lab, sizeof lab);
    kl_set_colour(cr, KL_BLACK, 0.85);
    kl_text(cr, p->x - 6, y, lab, 11, 0, KL_ALIGN_RIGHT, 1);
  }
  kl_set_colour(cr, KL_BLACK, 0.8);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, round(p->x) + 0.5, round(p->y) + 0.5, round(p->w), round(p->h));
  cairo_stroke(cr);
  if (ylabel) kl_text_vertical(cr, p->x - 52, p->y + p->h / 2, ylabel, 12);
  cairo_restore(cr);
}
