#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "klonos/klonos.h"

Test(status, every_code_has_a_sentence_and_a_name) {
  for (int code = 0; code >= KLONOS_E_RANGE; code--) {
    const char *s = klonos_strerror(code);
    cr_assert(s && strlen(s) > 3, "code %d", code);
    cr_assert_neq(strcmp(s, "unknown error code"), 0, "code %d has no sentence", code);
    cr_assert(strncmp(klonos_status_name(code), "KLONOS_", 7) == 0);
  }
}

Test(status, unknown_codes_still_give_text) {
  const int odd[] = {1, 42, -15, -1000, 2147483647, -2147483647 - 1};
  for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
    cr_assert_str_eq(klonos_strerror(odd[i]), "unknown error code");
    cr_assert_str_eq(klonos_status_name(odd[i]), "KLONOS_E_UNKNOWN");
  }
}

Test(version, header_and_library_agree) {
  cr_assert_eq(klonos_version_number(), KLONOS_VERSION_NUMBER);
  char want[32];
  snprintf(want, sizeof want, "%d.%d.%d", KLONOS_VERSION_MAJOR, KLONOS_VERSION_MINOR, KLONOS_VERSION_PATCH);
  cr_assert_str_eq(klonos_version(), want);
}
