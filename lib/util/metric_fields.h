/* The named fields of the public sway and gait metric structs, in report
 * order. One table, compiled into the library (JSON report) and the CLI
 * (tables and CSV), so every output uses the same names. */
#ifndef KLONOS_UTIL_METRIC_FIELDS_H
#define KLONOS_UTIL_METRIC_FIELDS_H

#include <stddef.h>

#include "klonos/analyzer.h"

typedef struct kl_metric_field {
  const char *name;   /* JSON/CSV name, unit in the name */
  size_t offset;      /* offsetof in the struct */
  int is_int;         /* int32_t field (else double) */
} kl_metric_field;

extern const kl_metric_field kl_sway_fields[];
extern const size_t kl_sway_field_count;
extern const kl_metric_field kl_gait_fields[];
extern const size_t kl_gait_field_count;

double kl_metric_value(const void *metrics, const kl_metric_field *f);

#endif
