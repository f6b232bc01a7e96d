/* The floor of the performance benchmark: read every frame of a file with
 * libsndfile (sf_readf_float, 64k frames per call) and do nothing else.
 * Prints the frame count so the work cannot be optimised away. */
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: bench_read FILE\n");
    return 2;
  }
  SF_INFO info = {0};
  SNDFILE *sf = sf_open(argv[1], SFM_READ, &info);
  if (!sf) {
    fprintf(stderr, "%s: %s\n", argv[1], sf_strerror(NULL));
    return 1;
  }
  float *buf = malloc(sizeof(float) * 65536 * (size_t)info.channels);
  long long total = 0;
  double sum = 0;
  sf_count_t n;
  while ((n = sf_readf_float(sf, buf, 65536)) > 0) {
    total += n;
    sum += buf[0];
  }
  sf_close(sf);
  free(buf);
  printf("%lld frames (checksum %g)\n", total, sum);
  return 0;
}
