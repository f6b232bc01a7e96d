/* Status codes: names and sentences (a static table, no global mutable state). */
#include <stddef.h>

#include "klonos/status.h"

typedef struct {
  int code;
  const char *name;
  const char *text;
} status_entry;

static const status_entry status_table[] = {
    {KLONOS_OK, "KLONOS_OK", "success"},
    {KLONOS_E_INVAL, "KLONOS_E_INVAL", "invalid argument"},
    {KLONOS_E_NOMEM, "KLONOS_E_NOMEM", "out of memory"},
    {KLONOS_E_IO, "KLONOS_E_IO", "input/output error (file missing, unreadable or not writable)"},
    {KLONOS_E_FORMAT, "KLONOS_E_FORMAT", "unrecognised or unsupported file format"},
    {KLONOS_E_CORRUPT, "KLONOS_E_CORRUPT", "corrupt or truncated file"},
    {KLONOS_E_CHANNELS, "KLONOS_E_CHANNELS", "wrong number of channels or unknown column"},
    {KLONOS_E_RATE, "KLONOS_E_RATE", "missing, zero, negative or absurd sample rate"},
    {KLONOS_E_VALUE, "KLONOS_E_VALUE", "non-numeric, NaN or infinite sample value"},
    {KLONOS_E_TIME, "KLONOS_E_TIME", "timestamps not increasing, duplicated or unparsable"},
    {KLONOS_E_EMPTY, "KLONOS_E_EMPTY", "recording holds no frames"},
    {KLONOS_E_STATE, "KLONOS_E_STATE", "call not allowed in the handle's current state"},
    {KLONOS_E_NOT_ENABLED, "KLONOS_E_NOT_ENABLED", "analysis not enabled in the configuration"},
    {KLONOS_E_NODATA, "KLONOS_E_NODATA", "not enough data for this result"},
    {KLONOS_E_RANGE, "KLONOS_E_RANGE", "index out of range"},
};

static const status_entry *find(int status) {
  for (size_t i = 0; i < sizeof status_table / sizeof status_table[0]; i++)
    if (status_table[i].code == status) return &status_table[i];
  return 0;
}

const char *klonos_strerror(int status) {
  const status_entry *e = find(status);
  return e ? e->text : "unknown error code";
}

const char *klonos_status_name(int status) {
  const status_entry *e = find(status);
  return e ? e->name : "KLONOS_E_UNKNOWN";
}
