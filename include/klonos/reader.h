/* klonos: reading recordings into frames of SI units, in chunks. */
#ifndef KLONOS_READER_H
#define KLONOS_READER_H

#include <stddef.h>
#include <stdint.h>

#include "klonos/attributes.h"

KLONOS_BEGIN_DECLS

/** Standard gravity (m/s^2) used for every g -> m/s^2 conversion (CGPM 1901). */
#define KLONOS_STANDARD_GRAVITY_MPS2 9.80665

/** Most source channels a recording may describe. */
#define KLONOS_MAX_SOURCE_CHANNELS 16

/** Notices kept per reader (all are counted in klonos_read_stats.notice_count). */
#define KLONOS_NOTICES_KEPT 256

/** Most channels in an output frame: acc x,y,z then gyro x,y,z. */
#define KLONOS_MAX_FRAME_CHANNELS 6

/** File formats. */
typedef enum klonos_format {
  KLONOS_FORMAT_AUTO = 0,   /**< detect from content, then extension */
  KLONOS_FORMAT_SNDFILE = 1,/**< anything libsndfile reads (WAV, FLAC, W64, RF64, AIFF, CAF...) */
  KLONOS_FORMAT_OMCONVERT = 2, /**< omconvert WAV (detected automatically; read through libsndfile) */
  KLONOS_FORMAT_CSV = 3,    /**< CSV/TSV text export */
  KLONOS_FORMAT_CWA = 4,    /**< Axivity CWA (AX3, AX6) */
  KLONOS_FORMAT_GENEACTIV = 5, /**< GENEActiv .bin (text pages of hex samples) */
  KLONOS_FORMAT_GT3X = 6,   /**< ActiGraph .gt3x (zip with info.txt and log.bin) */
  KLONOS_FORMAT_EDF = 7     /**< EDF, EDF+, BDF, BDF+ (read through EDFlib) */
} klonos_format;

/** How a reader fills seconds the device did not record (ActiGraph idle sleep). */
typedef enum klonos_gap_fill {
  KLONOS_GAP_FILL_DEFAULT = 0, /**< the format's convention (gt3x: LAST) */
  KLONOS_GAP_FILL_NAN = 1,     /**< NaN frames (counted in nan_frames) */
  KLONOS_GAP_FILL_LAST = 2,    /**< repeat the last sample before the gap */
  KLONOS_GAP_FILL_ZERO = 3     /**< zero acceleration */
} klonos_gap_fill;

/** Units of stored values. */
typedef enum klonos_units {
  KLONOS_UNITS_AUTO = 0,    /**< from the file's metadata/header; g when it says nothing */
  KLONOS_UNITS_G = 1,       /**< acceleration in g (9.80665 m/s^2) */
  KLONOS_UNITS_MPS2 = 2,    /**< acceleration in m/s^2 */
  KLONOS_UNITS_MG = 3,      /**< acceleration in milli-g */
  KLONOS_UNITS_DPS = 10,    /**< angular rate in degrees/s */
  KLONOS_UNITS_RADPS = 11   /**< angular rate in rad/s */
} klonos_units;

/** Role of a source channel. Output frames carry only the ACC and GYRO roles. */
typedef enum klonos_channel_role {
  KLONOS_ROLE_IGNORED = 0,  /**< present in the file, not used */
  KLONOS_ROLE_ACC_X = 1, KLONOS_ROLE_ACC_Y = 2, KLONOS_ROLE_ACC_Z = 3,
  KLONOS_ROLE_GYRO_X = 4, KLONOS_ROLE_GYRO_Y = 5, KLONOS_ROLE_GYRO_Z = 6,
  KLONOS_ROLE_TIME = 7,     /**< timestamps (CSV) */
  KLONOS_ROLE_AUX = 8       /**< auxiliary data (omconvert channel 4 bit-field, light, ...) */
} klonos_channel_role;

/** Options for klonos_reader_open(). Fill with klonos_reader_options_default()
 * first, then change what you need; the reserved tail must stay zero. */
typedef struct klonos_reader_options {
  int32_t format;        /**< klonos_format; AUTO detects */
  int32_t units;         /**< klonos_units for acceleration stored as float/text; AUTO = file, else g */
  int32_t gyro_units;    /**< klonos_units for text angular rate; AUTO = header, else deg/s */
  int32_t reserved_i;    /**< must be 0 */
  double rate_hz;        /**< output rate; 0 = the file's. Required for CSV without time column */
  double full_scale_g;   /**< full scale of integer PCM when the file does not say; 0 = 8 g */
  double max_gap_s;      /**< timestamp gaps longer than this become NaN frames and are reported (default 1.0) */
  char columns[128];     /**< CSV columns "[t,]x,y,z[,gx,gy,gz]" (EDF signals "x,y,z[,gx,gy,gz]") by name or 1-based index; "" = auto */
  int32_t gap_fill;      /**< klonos_gap_fill for idle-sleep gaps (gt3x); always reported as gaps */
  uint8_t reserved[60];  /**< room to grow without breaking the ABI; must be zero */
} klonos_reader_options;

/** Metadata of an open recording. */
typedef struct klonos_recording_info {
  int32_t format;                 /**< klonos_format actually used */
  int32_t channel_count;          /**< channels per output frame: 3 (acc) or 6 (acc + gyro) */
  int32_t source_channel_count;   /**< channels (or columns) in the file */
  int32_t source_units;           /**< klonos_units of the stored acceleration */
  int32_t source_roles[KLONOS_MAX_SOURCE_CHANNELS]; /**< klonos_channel_role per source channel */
  double sample_rate_hz;          /**< rate of the output frames */
  double nominal_rate_hz;         /**< rate the file or device states; 0 = unknown */
  double measured_rate_hz;        /**< rate from the file's timestamps; 0 = no timestamps */
  int64_t frame_count;            /**< output frames; -1 = known only after reading to the end */
  int32_t has_start_time;         /**< 1 when start_time_* hold the first frame's time */
  int32_t timestamped;            /**< 1 when frames were placed on a uniform grid from file timestamps */
  double start_time_unix_s;       /**< first frame, seconds since 1970-01-01 in the file's clock */
  char start_time_iso[40];        /**< the same as "YYYY-MM-DDThh:mm:ss.sss" (no zone: device clock) */
  double full_scale_g;            /**< accelerometer full scale in g; 0 = unknown */
  double gyro_full_scale_dps;     /**< gyroscope full scale in deg/s; 0 = unknown or no gyro */
  char format_detail[64];         /**< e.g. "WAV (PCM_16)", "CWA AX3 packed" */
  char device[96];                /**< device description when the file has one */
  uint8_t reserved[64];
} klonos_recording_info;

/** Counters that grow while reading. Read them at any time; final after the last frame. */
typedef struct klonos_read_stats {
  int64_t frames_read;            /**< output frames delivered so far */
  int64_t clipped[KLONOS_MAX_FRAME_CHANNELS]; /**< samples at or beyond full scale, per output channel */
  int64_t gap_count;              /**< gaps longer than max_gap_s (filled with NaN frames) */
  double gap_total_s;             /**< total duration of those gaps */
  int64_t nan_frames;             /**< NaN frames inserted for gaps and bad blocks */
  int64_t bad_blocks;             /**< blocks skipped (CWA checksum, omconvert no-data flags) */
  int64_t notice_count;           /**< all notices raised (only the first 256 are kept) */
  uint8_t reserved[64];
} klonos_read_stats;

/** Kinds of notice (non-fatal findings) raised while reading. */
typedef enum klonos_notice_kind {
  KLONOS_NOTICE_GAP = 1,          /**< a time gap, filled with NaN frames */
  KLONOS_NOTICE_BAD_BLOCK = 2,    /**< a block skipped (checksum, no-data flag, bad header) */
  KLONOS_NOTICE_CLIPPED = 3,      /**< (reserved for per-run clipping reports) */
  KLONOS_NOTICE_OTHER = 4
} klonos_notice_kind;

/** One notice. Positions refer to output frames and seconds from the first frame. */
typedef struct klonos_notice {
  int32_t kind;                   /**< klonos_notice_kind */
  int32_t reserved_i;
  int64_t frame;                  /**< first output frame affected */
  double time_s;                  /**< its time from the first frame */
  double duration_s;              /**< length affected (0 when not applicable) */
  char message[160];
} klonos_notice;

/** An open recording. Opaque; one thread at a time per handle. */
typedef struct klonos_reader klonos_reader;

/** Fill @p options with the defaults (AUTO everything, max_gap_s 1.0). */
KLONOS_API void klonos_reader_options_default(klonos_reader_options *options);

/**
 * Open @p path and read its metadata.
 *
 * Like sqlite3_open(), *out receives a handle even when opening fails (unless
 * memory ran out), so that klonos_reader_error() can say what went wrong;
 * always call klonos_reader_close().
 *
 * @param out      receives the handle
 * @param path     file to open (not modified, never written)
 * @param options  NULL for defaults
 * @return KLONOS_OK, or KLONOS_E_INVAL (NULL path/out, bad options), KLONOS_E_IO
 *   (missing, unreadable, a directory), KLONOS_E_EMPTY (0 bytes or 0 frames),
 *   KLONOS_E_FORMAT (unrecognised), KLONOS_E_CORRUPT (broken header, truncated),
 *   KLONOS_E_CHANNELS, KLONOS_E_RATE, KLONOS_E_TIME, KLONOS_E_VALUE, KLONOS_E_NOMEM.
 */
KLONOS_API int klonos_reader_open(klonos_reader **out, const char *path,
                                  const klonos_reader_options *options);

/** Close the handle and set *reader to NULL. Accepts NULL and *reader == NULL. */
KLONOS_API void klonos_reader_close(klonos_reader **reader);

/** Copy the recording's metadata to @p info. @return KLONOS_OK, KLONOS_E_INVAL, KLONOS_E_STATE (open failed). */
KLONOS_API int klonos_reader_info(const klonos_reader *reader, klonos_recording_info *info);

/**
 * Read up to @p max_frames interleaved frames of info.channel_count floats:
 * acceleration x, y, z in m/s^2, then (when present) angular rate x, y, z in
 * rad/s, in the sensor frame. NaN frames mark gaps (see klonos_read_stats).
 *
 * @param frames_read receives the number of frames written; 0 means end of recording.
 * @return KLONOS_OK, or an error (the handle then refuses further reads with
 *   the same code, and klonos_reader_error() names the file and the place).
 */
KLONOS_API int klonos_reader_read_f32(klonos_reader *reader, float *frames,
                                      size_t max_frames, size_t *frames_read);

/** Copy the counters. @return KLONOS_OK or KLONOS_E_INVAL. */
KLONOS_API int klonos_reader_stats(const klonos_reader *reader, klonos_read_stats *stats);

/** Copy notice @p index (0-based, < min(notice_count, 256)). @return KLONOS_OK, KLONOS_E_RANGE, KLONOS_E_INVAL. */
KLONOS_API int klonos_reader_notice(const klonos_reader *reader, size_t index, klonos_notice *notice);

/** @return the last error as "FILE: where: what", or "" when there was none. Never NULL. */
KLONOS_API const char *klonos_reader_error(const klonos_reader *reader);

/** @return a short name for a klonos_format ("cwa"), "unknown" otherwise. */
KLONOS_API const char *klonos_format_name(int format);

/** @return a short name for a klonos_channel_role ("acc_x"), "unknown" otherwise. */
KLONOS_API const char *klonos_role_name(int role);

/** @return a short name for a klonos_units ("g", "m/s^2"), "unknown" otherwise. */
KLONOS_API const char *klonos_units_name(int units);

KLONOS_END_DECLS

#endif
