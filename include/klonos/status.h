/* klonos: status codes shared by every fallible function. */
#ifndef KLONOS_STATUS_H
#define KLONOS_STATUS_H

#include "klonos/attributes.h"

KLONOS_BEGIN_DECLS

/**
 * Every fallible klonos function returns one of these. 0 is success, errors
 * are negative. The numeric values are stable for the whole 0.x/1.x series:
 * bindings may hard-code them.
 */
typedef enum klonos_status {
  KLONOS_OK = 0,
  KLONOS_E_INVAL = -1,       /**< invalid argument (NULL pointer, option out of range) */
  KLONOS_E_NOMEM = -2,       /**< memory allocation failed */
  KLONOS_E_IO = -3,          /**< file missing, unreadable, or a read/write failed */
  KLONOS_E_FORMAT = -4,      /**< file format not recognised or not supported */
  KLONOS_E_CORRUPT = -5,     /**< file structure broken: truncated, bad header, frame count lies */
  KLONOS_E_CHANNELS = -6,    /**< wrong channel/column count or unknown column */
  KLONOS_E_RATE = -7,        /**< sample rate missing, zero, negative or absurd (> 100 kHz) */
  KLONOS_E_VALUE = -8,       /**< a sample is non-numeric, NaN or infinite */
  KLONOS_E_TIME = -9,        /**< timestamps non-monotonic, duplicated or unparsable */
  KLONOS_E_EMPTY = -10,      /**< the recording holds no frames */
  KLONOS_E_STATE = -11,      /**< call out of order (e.g. read after an error) */
  KLONOS_E_NOT_ENABLED = -12,/**< result asked for an analysis that was not enabled */
  KLONOS_E_NODATA = -13,     /**< not enough data to compute the result */
  KLONOS_E_RANGE = -14       /**< index out of range */
} klonos_status;

/** @return a sentence describing @p status; never NULL, also for unknown values. */
KLONOS_API const char *klonos_strerror(int status);

/** @return the symbolic name of @p status ("KLONOS_E_IO"), or "KLONOS_E_UNKNOWN". */
KLONOS_API const char *klonos_status_name(int status);

KLONOS_END_DECLS

#endif
