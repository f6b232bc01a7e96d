/* klonos: version of the headers and of the library at run time. */
#ifndef KLONOS_VERSION_H
#define KLONOS_VERSION_H

#include "klonos/attributes.h"

/* The single source of truth for the version: meson reads these three
 * macros to name the project and derive the SONAME (major). */
#define KLONOS_VERSION_MAJOR 0
#define KLONOS_VERSION_MINOR 1
#define KLONOS_VERSION_PATCH 0

#define KLONOS_VERSION_NUMBER \
  (KLONOS_VERSION_MAJOR * 10000 + KLONOS_VERSION_MINOR * 100 + KLONOS_VERSION_PATCH)

KLONOS_BEGIN_DECLS

/** @return the library's version as "MAJOR.MINOR.PATCH" (static storage). */
KLONOS_API const char *klonos_version(void);

/** @return the library's version as MAJOR*10000 + MINOR*100 + PATCH. Compare
 * with KLONOS_VERSION_NUMBER to detect a header/library mismatch. */
KLONOS_API int klonos_version_number(void);

KLONOS_END_DECLS

#endif
