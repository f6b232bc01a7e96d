#!/bin/sh
# Memcheck the CLI on every test recording: `klonos info` and `klonos analyze
# --events` under valgrind must report no invalid access and no definite or
# indirect leak (robustness issue). Recordings: the bundled example, and
# every file in ../shared/data/real when present (skipped with a note if not).
# Usage: valgrind_cli.sh KLONOS_EXE SOURCE_ROOT REAL_DATA_DIR
set -u
klonos=$1; src=$2; real=$3
command -v valgrind >/dev/null 2>&1 || { echo "SKIP: valgrind not installed"; exit 77; }
files="$src/examples/demo.flac"
if [ -d "$real" ]; then
  files="$files $(find "$real" -type f \( -name '*.cwa' -o -name '*.bin' -o -name '*.gt3x' -o -name '*_lb.txt' -o -name 'TimeMeasure1_*.csv' \) | sort | tr '\n' ' ')"
else
  echo "note: $real absent: only the bundled example is checked"
fi
fail=0; n=0
for f in $files; do
  case $f in *mobilised*) opts="--rate 100" ;; *) opts="" ;; esac
  for cmd in info "analyze --events --format json"; do
    n=$((n + 1))
    # shellcheck disable=SC2086
    valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
      "$klonos" $cmd $opts "$f" > /dev/null 2> "${TMPDIR:-/tmp}/klonos-vg.$$"
    rc=$?
    # exit 1 is a file klonos refuses (paradigma TSDF is not listed here); 99 is valgrind
    if [ $rc -eq 99 ] || [ $rc -gt 3 ]; then
      echo "FAIL ($rc): klonos $cmd $opts $f"; cat "${TMPDIR:-/tmp}/klonos-vg.$$"; fail=$((fail + 1))
    fi
  done
done
rm -f "${TMPDIR:-/tmp}/klonos-vg.$$"
echo "valgrind memcheck: $n runs, $fail failed"
[ $fail -eq 0 ]
