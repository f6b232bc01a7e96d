#!/usr/bin/env python3
"""Worked example: analyse recordings with the Python binding and print the scores.

    python3 analyze.py [--json] [--events] [--calibrate] [--score-epoch S]
                       [--placement P] [--axes LIST] [--rate HZ] [--units U] FILE...

Without --json it prints, per file, the severity scores (0 = no sign, 100 =
severe), the time per activity state, the jerks, and the sway and gait
summaries. With --json it prints one JSON object per file: the same document
(byte for byte) as `klonos analyze --format json` with the same options.
Try it on the bundled demo: python3 analyze.py examples/demo.flac
Exit status 1 when any file failed.
"""

import argparse
import json
import sys

import klonos


def fmt(score):
    """A 0-100 score, or "n/a" when the component had no data (None)."""
    return "n/a" if score is None else "%.0f" % score


def summary(result):
    s = result.scores
    st = result.states
    lines = [
        result.file,
        "  recording   %.1f min, worn %.1f min" % (result.duration_s / 60, result.wear_s / 60),
        "  states      lying %.1f, upright still %.1f, walking %.1f, other %.1f, non-wear %.1f min" % (
            st["lying_s"] / 60, st["upright_still_s"] / 60, st["walking_s"] / 60, st["other_s"] / 60,
            st["nonwear_s"] / 60),
        "  myoclonus   %d jerks in %d clusters, %d tremor episodes   score %s" % (
            len(result.events), len(result.clusters), len(result.tremor), fmt(s["myoclonus"])),
    ]
    if result.events:
        strongest = max(result.events, key=lambda e: e["peak_acc_mps2"])
        lines.append("              strongest at %.2f s: %.1f m/s^2 while %s" % (
            strongest["onset_s"], strongest["peak_acc_mps2"], strongest["state"].replace("_", " ")))
    sway = result.sway
    if sway:
        lines.append("  sway        %d bouts, %.1f min: RMS AP %.3f ML %.3f m/s^2   score %s" % (
            sway["bouts"], sway["measured_s"] / 60, sway["rms_ap_mps2"], sway["rms_ml_mps2"], fmt(s["stance"])))
    else:
        lines.append("  sway        no quiet upright bout of 10 s or more")
    gait = result.gait
    if gait:
        lines.append("  gait        %d bouts, %d steps: cadence %.0f steps/min, stride CV %.3f   score %s" % (
            gait["bouts"], gait["steps"], gait["cadence_spm"], gait["stride_time_cv"], fmt(s["gait"])))
    else:
        lines.append("  gait        no walking bout of at least 6 steps and 5 s")
    if result.calibration:
        c = result.calibration
        lines.append("  calibration " + ("applied: error %.1f -> %.1f mg" % (c["error_before_mg"], c["error_after_mg"])
                                         if c["applied"] else "not applied: " + c["reason"]))
    lines.append("  severity    motor %s (myoclonus %s, stance %s, gait %s)" % (
        fmt(s["motor"]), fmt(s["myoclonus"]), fmt(s["stance"]), fmt(s["gait"])))
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="one JSON object per file (as klonos analyze --format json)")
    ap.add_argument("--events", action="store_true", help="JSON: include every jerk, cluster and tremor episode")
    ap.add_argument("--calibrate", action="store_true", help="autocalibrate from still periods first")
    ap.add_argument("--score-epoch", type=float, help="per-epoch scores every S seconds (default 60)")
    ap.add_argument("--placement", help="lower-back (default), chest, wrist, ankle")
    ap.add_argument("--axes", help="body axis of sensor x,y,z, e.g. V,ML,-AP")
    ap.add_argument("--rate", type=float, help="sample rate in Hz (CSV without a time column)")
    ap.add_argument("--units", help="units of float/text acceleration: g, mps2, mg")
    ap.add_argument("files", nargs="+", metavar="FILE")
    args = ap.parse_args(argv)

    status = 0
    for path in args.files:
        try:
            result = klonos.analyze(path, calibrate=args.calibrate, events=args.events,
                                    score_epoch=args.score_epoch, placement=args.placement, axes=args.axes,
                                    rate=args.rate, units=args.units)
        except klonos.Error as e:
            print("analyze.py: %s" % e.message, file=sys.stderr)
            if args.json:  # the CLI's error document
                print(json.dumps({"klonos_version": klonos.version(), "file": path,
                                  "error": {"code": e.code, "name": e.name, "message": e.message}},
                                 separators=(",", ":"), ensure_ascii=False))
            status = 1
            continue
        print(result.json if args.json else summary(result))
    return status


if __name__ == "__main__":
    sys.exit(main())
