#include "klonos/version.h"

#define KL_STR2(x) #x
#define KL_STR(x) KL_STR2(x)

const char *klonos_version(void) {
  return KL_STR(KLONOS_VERSION_MAJOR) "." KL_STR(KLONOS_VERSION_MINOR) "." KL_STR(KLONOS_VERSION_PATCH);
}

int klonos_version_number(void) { return KLONOS_VERSION_NUMBER; }
