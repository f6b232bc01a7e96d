#!/bin/sh
# Install klonos into a scratch prefix with `meson install --destdir`, then
# build examples/print_metadata.c against the INSTALLED headers, pkg-config
# file and shared library only, and run it. A broken install rule, header or
# klonos.pc fails this test.
set -eu
build_root=$1
source_root=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/klonos-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
dest="$work/dest"
meson install -C "$build_root" --destdir "$dest" --no-rebuild --quiet >"$work/install.log" 2>&1 || {
  cat "$work/install.log"; echo "FAIL: meson install"; exit 1; }

pc=$(find "$dest" -name klonos.pc | head -n 1)
[ -n "$pc" ] || { echo "FAIL: no klonos.pc installed"; exit 1; }
export PKG_CONFIG_PATH="$(dirname "$pc")"
# The .pc file names the real prefix; point it at the staging copy.
prefix=$(pkg-config --variable=prefix klonos)
cflags=$(pkg-config --define-variable=prefix="$dest$prefix" --cflags klonos)
libs=$(pkg-config --define-variable=prefix="$dest$prefix" --libs klonos)
echo "pkg-config: $cflags $libs"

# Only the installed tree may be used: no -I into the source.
cc -std=c11 -Wall -Wextra -Werror "$source_root/examples/print_metadata.c" $cflags $libs -o "$work/print_metadata"

libdir=$(dirname "$(find "$dest" -name 'libklonos.so.0' | head -n 1)")
soname=$(readelf -d "$libdir/libklonos.so.0" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = "libklonos.so.0" ] || { echo "FAIL: SONAME is '$soname'"; exit 1; }
[ -f "$libdir/libklonos.a" ] || { echo "FAIL: static library not installed"; exit 1; }
find "$dest" -path '*/bin/klonos' | grep -q . || { echo "FAIL: klonos CLI not installed"; exit 1; }

# A recording to open: a tiny 3-channel float WAV written with Python's stdlib
# would need float support, so write a 16-bit PCM WAV instead.
python3 - "$work/rec.wav" <<'PY'
import struct, sys, wave
with wave.open(sys.argv[1], "wb") as w:
    w.setnchannels(3); w.setsampwidth(2); w.setframerate(100)
    w.writeframes(b"".join(struct.pack("<hhh", 4096, 0, -4096) for _ in range(200)))
PY
out=$(LD_LIBRARY_PATH="$libdir" "$work/print_metadata" "$work/rec.wav")
echo "$out"
echo "$out" | grep -q "sample_rate_hz: 100" || { echo "FAIL: wrong rate"; exit 1; }
echo "$out" | grep -q "first_frame_mps2: 9.8067 0.0000 -9.8067" || { echo "FAIL: wrong first frame"; exit 1; }
echo "PASS: installed library, headers and klonos.pc work"
