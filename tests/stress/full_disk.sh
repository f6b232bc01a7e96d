#!/bin/sh
# Output to a full disk (robustness issue): a 512 KiB tmpfs, then
#  - `klonos synth` of an hour: exit 1, a clear message, no file left behind;
#  - `klonos track add` into a database on the nearly full disk: non-zero
#    exit, a clear message, the database still passes integrity_check and
#    holds exactly the rows it held before;
#  - `klonos analyze --plot` onto the full disk: exit 3, no partial plot.
# Needs root (mount); skips with exit 77 otherwise.
# Usage: full_disk.sh KLONOS_EXE SCRATCH_DIR
set -u
klonos=$1
scratch=$2
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to mount a small tmpfs"; exit 77; }
mkdir -p "$scratch"
work=$(mktemp -d "$scratch/fulldisk.XXXXXX")
disk="$work/disk"
mkdir -p "$disk"
mount -t tmpfs -o size=512k tmpfs "$disk" 2>/dev/null || { echo "SKIP: cannot mount tmpfs here"; rm -rf "$work"; exit 77; }
trap 'umount "$disk" 2>/dev/null; rm -rf "$work"' EXIT
fail=0; pass=0
check() { if [ "$1" != "$2" ]; then echo "FAIL: $3 (got $1, want $2)"; fail=$((fail + 1)); else echo "ok: $3"; pass=$((pass + 1)); fi; }

# 1. synth larger than the disk
"$klonos" synth --scenario stance --duration 1h -q -o "$disk/big.wav" 2> "$work/err"
check $? 1 "synth onto a full disk exits 1"
if grep -qi "space\|write" "$work/err"; then echo "ok: message: $(head -1 "$work/err")"; pass=$((pass + 1)); else echo "FAIL: unclear message: $(cat "$work/err")"; fail=$((fail + 1)); fi
check "$(ls -A "$disk" | wc -l)" 0 "no partial synth file left"

# 2. tracker on a nearly full disk
"$klonos" synth --scenario stance-jerks --duration 60 -q --no-truth -o "$work/a.wav" || exit 1
"$klonos" synth --scenario stance-jerks --duration 60 --seed 2 -q --no-truth -o "$work/b.wav" || exit 1
"$klonos" track add -q --db "$disk/t.db" --subject S --date 2026-01-01 "$work/a.wav"
check $? 0 "first add on the small disk"
rows_before=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from recordings').fetchone()[0])" "$disk/t.db")
# fill what is left
dd if=/dev/zero of="$disk/filler" bs=1k count=2048 2>/dev/null
"$klonos" track add -q --db "$disk/t.db" --subject S --date 2026-01-02 "$work/b.wav" 2> "$work/err"
rc=$?
if [ $rc -ne 0 ]; then echo "ok: add on a full disk fails (exit $rc): $(head -1 "$work/err")"; pass=$((pass + 1)); else echo "FAIL: add on a full disk exited 0"; fail=$((fail + 1)); fi
rm -f "$disk/filler"
state=$(python3 -c "
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute('pragma integrity_check').fetchone()[0], c.execute('select count(*) from recordings').fetchone()[0])" "$disk/t.db")
check "$state" "ok $rows_before" "database consistent and unchanged after the failed add"

# 3. plot onto a full disk
dd if=/dev/zero of="$disk/filler" bs=1k count=2048 2>/dev/null
"$klonos" analyze --plot "$disk/plot.png" "$work/a.wav" > /dev/null 2> "$work/err"
check $? 3 "analyze --plot onto a full disk exits 3"
check "$(ls -A "$disk" | grep -v -e filler -e '^t\.db' | wc -l)" 0 "no partial plot or temporary file left"

echo "full disk: $pass passed, $fail failed"
[ $fail -eq 0 ]
