/* Example: open a recording with libklonos and print its metadata and the
 * first frame. Build against an installed klonos:
 *
 *   cc print_metadata.c $(pkg-config --cflags --libs klonos) -o print_metadata
 *   ./print_metadata recording.cwa
 */
#include <klonos/klonos.h>
#include <stdio.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s RECORDING\n", argv[0]);
    return 2;
  }
  if (klonos_version_number() != KLONOS_VERSION_NUMBER)
    fprintf(stderr, "warning: headers %d, library %d\n", KLONOS_VERSION_NUMBER, klonos_version_number());

  klonos_reader *reader = NULL;
  int rc = klonos_reader_open(&reader, argv[1], NULL);
  if (rc != KLONOS_OK) {
    fprintf(stderr, "%s (%s)\n", klonos_reader_error(reader), klonos_status_name(rc));
    klonos_reader_close(&reader);
    return 1;
  }
  klonos_recording_info info;
  klonos_reader_info(reader, &info);
  printf("klonos %s\n", klonos_version());
  printf("format: %s (%s)\n", klonos_format_name(info.format), info.format_detail);
  printf("channels: %d\n", (int)info.channel_count);
  printf("sample_rate_hz: %g\n", info.sample_rate_hz);
  printf("start_time: %s\n", info.has_start_time ? info.start_time_iso : "unknown");

  float frame[KLONOS_MAX_FRAME_CHANNELS];
  size_t got = 0;
  rc = klonos_reader_read_f32(reader, frame, 1, &got);
  if (rc != KLONOS_OK) {
    fprintf(stderr, "%s\n", klonos_reader_error(reader));
    klonos_reader_close(&reader);
    return 1;
  }
  if (got == 1) printf("first_frame_mps2: %.4f %.4f %.4f\n", frame[0], frame[1], frame[2]);
  klonos_reader_close(&reader);
  return 0;
}
