/* SHA-256 (FIPS 180-4) of a file's bytes: the tracker's content hash, so a
 * recording is recognised whatever its name or path. Small and self-contained
 * because no library the CLI links provides one. */
#ifndef KLONOS_TOOLS_SHA256_H
#define KLONOS_TOOLS_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct kl_sha256 {
  uint32_t h[8];
  uint64_t total_bytes;
  uint8_t block[64];
  size_t block_len;
} kl_sha256;

void kl_sha256_init(kl_sha256 *s);
void kl_sha256_update(kl_sha256 *s, const void *data, size_t len);
/* Finish and write the digest as 64 lower-case hex digits + NUL. */
void kl_sha256_final_hex(kl_sha256 *s, char hex[65]);

/* Hash the whole file at @p path; also returns its size in bytes. 0 on
 * success, else -1 with errno set. The file is only read. */
int kl_sha256_file(const char *path, char hex[65], int64_t *size_bytes);

#endif
