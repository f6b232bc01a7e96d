#!/usr/bin/env python3
"""Worked example: what `klonos info` shows, written with the Python binding.

    python3 info.py [--json] [--units g|mps2|mg] [--rate HZ] FILE...

Without --json it prints a short summary per file and the peak acceleration
magnitude (computed here, in Python, from the m/s^2 frames); with --json one
JSON object per file, the same keys and values as `klonos info --json`.
Exit status 1 when any file failed.
"""

import argparse
import json
import math
import sys

import klonos


def peak_magnitude_g(reader, frames_per_chunk=65536):
    """Largest |acceleration| over the rest of the recording, in g (NaN frames skipped)."""
    peak = 0.0
    nch = reader.channel_count
    for chunk in reader.chunks(frames=frames_per_chunk):
        for i in range(0, len(chunk), nch):
            x, y, z = chunk[i], chunk[i + 1], chunk[i + 2]
            m = math.sqrt(x * x + y * y + z * z)
            if m > peak:  # False for NaN
                peak = m
    return peak / klonos.STANDARD_GRAVITY_MPS2


def summary(reader):
    d = reader.info_dict()
    lines = [
        d["file"],
        "  format        %s (%s)" % (d["format"], d["format_detail"]),
        "  channels      %s" % " ".join(d["channels"]),
        "  sample rate   %g Hz" % d["sample_rate_hz"],
        "  length        %d frames, %.3f s" % (d["frames"], d["duration_s"]),
        "  start time    %s" % (d["start_time"] or "unknown"),
        "  full scale    %s" % ("+-%g g" % d["full_scale_g"] if d["full_scale_g"] else "unknown"),
        "  clipped       %s" % ", ".join("%s %d" % kv for kv in d["clipped"].items()),
        "  gaps          %d (%.3f s), bad blocks %d" % (d["gap_count"], d["gap_total_s"], d["bad_blocks"]),
    ]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="one JSON object per file (as klonos info --json)")
    ap.add_argument("--units", help="units of float/text acceleration: g, mps2, mg")
    ap.add_argument("--rate", type=float, help="sample rate in Hz (CSV without a time column)")
    ap.add_argument("files", nargs="+", metavar="FILE")
    args = ap.parse_args(argv)

    status = 0
    for path in args.files:
        try:
            with klonos.open(path, units=args.units, rate=args.rate) as reader:
                if args.json:
                    for _ in reader.chunks():  # read to the end: counters become final
                        pass
                    print(json.dumps(reader.info_dict(), separators=(",", ":")))
                else:
                    peak = peak_magnitude_g(reader)
                    print(summary(reader))
                    print("  peak |a|      %.3f g" % peak)
        except klonos.Error as e:
            print("info.py: %s (%s)" % (e.message, e.name), file=sys.stderr)
            if args.json:
                print(json.dumps({"file": path, "ok": False,
                                  "error": {"code": e.code, "name": e.name, "message": e.message}},
                                 separators=(",", ":")))
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
