#!/bin/sh
# The Slurm path for real (tools/slurm/README.md): start munge, slurmctld and
# slurmd on localhost from a generated minimal configuration in a temporary
# folder (ports above 1024, all state inside it), make a 20-recording
# synthetic cohort, submit tools/slurm/klonos-array.sbatch as a 4-task array
# with the merge as a dependent job, wait (bounded), and check that every
# recording is in the shards and the table exactly once. Then submit the
# array again: a resumed run must add nothing. Daemons are stopped and the
# folder removed on exit (KLONOS_KEEP_SLURM_TMP=1 keeps the folder).
#
#   test_slurm.sh KLONOS_EXECUTABLE SOURCE_ROOT
# Exit status: 0 passed, 1 failed (says what), 77 skipped (no Slurm/munge, not root).
set -eu
[ $# -eq 2 ] || { echo "usage: $0 KLONOS SOURCE_ROOT" >&2; exit 2; }
KLONOS=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SRC=$(cd "$2" && pwd)
SBATCH_SCRIPT=$SRC/tools/slurm/klonos-array.sbatch
RECORDINGS=20
TASKS=4
WAIT_S=300
PATH=$PATH:/usr/sbin:/sbin
export PATH

skip() { echo "SKIP: $*"; exit 77; }
for prog in munged slurmctld slurmd sbatch squeue sinfo scontrol python3; do
  command -v "$prog" >/dev/null 2>&1 ||
    skip "$prog not found: install Slurm and munge (Debian: apt-get install slurm-wlm munge)"
done
[ "$(id -u)" = 0 ] || skip "slurmd must run as root to start jobs (run this test as root)"

# A real cluster's job environment must not leak into ours (SLURM_CPUS_PER_TASK
# and the like change what sbatch does).
for v in $(env | sed -n 's/^\(SLURM_[A-Za-z0-9_]*\)=.*/\1/p; s/^\(SBATCH_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done

T=$(mktemp -d "${TMPDIR:-/tmp}/klonos-slurm.XXXXXX") # short: the munge socket path must fit in 108 bytes
chmod 755 "$T"
mkdir -p "$T/munge" "$T/state" "$T/spool" "$T/log" "$T/cohort/rec" "$T/jobs"
PIDS=""
JOBS=""
T0=$(date +%s)
elapsed() { echo $(($(date +%s) - T0)); }

show_logs() {
  for f in "$T"/log/*.log "$T"/jobs/*.log; do
    [ -f "$f" ] || continue
    echo "---- $f (last 25 lines)"
    tail -n 25 "$f"
  done
}
cleanup() {
  status=$?
  trap - EXIT INT TERM
  [ $status -eq 0 ] || show_logs
  # Jobs of ours still queued or running (a failed wait) are cancelled first.
  [ -z "$JOBS" ] || scancel $JOBS 2>/dev/null || true
  # Stop only what this script started, by process id, newest first.
  for pid in $PIDS; do kill "$pid" 2>/dev/null || true; done
  for pid in $PIDS; do
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ "${KLONOS_KEEP_SLURM_TMP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
  exit $status
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }
started() { PIDS="$1 $PIDS"; }

# ---- munge, with a key made here ----
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 2>/dev/null
chmod 700 "$T/munge"
chmod 400 "$T/munge/munge.key"
SOCK=$T/munge/munge.sock
munged --foreground --force --key-file="$T/munge/munge.key" --socket="$SOCK" --pid-file="$T/munge/munged.pid" \
  --log-file="$T/log/munged.log" --seed-file="$T/munge/munged.seed" >"$T/log/munged.out" 2>&1 &
started $!
i=0
until [ -S "$SOCK" ]; do
  i=$((i + 1))
  [ $i -le 50 ] || { cat "$T/log/munged.out" >&2; fail "munged did not create its socket in 10 s"; }
  kill -0 "$(echo $PIDS | cut -d' ' -f1)" 2>/dev/null || { cat "$T/log/munged.out" >&2; fail "munged exited"; }
  sleep 0.2
done

# ---- a minimal slurm.conf: one node, this host, free ports above 1024 ----
set -- $(python3 -c '
import socket
ports, socks = [], []
for _ in range(2):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s); ports.append(s.getsockname()[1])
print(*ports)')
CTLD_PORT=$1
SLURMD_PORT=$2
HOST=$(hostname -s)
CPUS=$(nproc)
export SLURM_CONF="$T/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=klonostest
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$SOCK
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
MinJobAge=600
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=klonosnode NodeHostname=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=1000 State=UNKNOWN
PartitionName=test Nodes=klonosnode Default=YES MaxTime=INFINITE State=UP
EOF

slurmctld -D -i -f "$SLURM_CONF" >"$T/log/slurmctld.out" 2>&1 &
started $!
slurmd -D -N klonosnode -f "$SLURM_CONF" >"$T/log/slurmd.out" 2>&1 &
started $!
i=0
until [ "$(sinfo -h -n klonosnode -o %t 2>/dev/null)" = idle ]; do
  i=$((i + 1))
  if [ $i -gt 120 ]; then
    cat "$T"/log/slurmctld.out "$T"/log/slurmd.out >&2
    sinfo -N -l >&2 || true
    fail "the Slurm node did not become idle in 60 s"
  fi
  sleep 0.5
done
echo "slurm up after $(elapsed) s: slurmctld port $CTLD_PORT, slurmd port $SLURMD_PORT, $CPUS CPUs"

# ---- a synthetic cohort of short recordings ----
cd "$T/cohort"
echo "subject,date,path" >manifest.csv
set -- stance stance-jerks clusters walking walking-jerks tremor daily nonwear
n=0
while [ $n -lt $RECORDINGS ]; do
  scenario=$(eval echo "\${$((n % 8 + 1))}")
  rec=rec/sub-$n.flac
  "$KLONOS" synth -q --no-truth -o "$rec" --scenario "$scenario" --duration 60 --seed $((n + 1)) ||
    fail "klonos synth failed"
  # One quoted path with a comma, and one absolute path, as real manifests have.
  case $n in
    3) mv "$rec" "rec/sub-3, visit 2.flac"; echo "sub-3,2024-05-0$((n % 9 + 1)),\"rec/sub-3, visit 2.flac\"" ;;
    4) echo "sub-4,2024-05-05,$T/cohort/$rec" ;;
    *) echo "sub-$n,2024-05-0$((n % 9 + 1)),$rec" ;;
  esac >>manifest.csv
  n=$((n + 1))
done

# ---- the array job and the dependent merge ----
submit() {
  sbatch --parsable --array=0-$((TASKS - 1)) --cpus-per-task=1 --mem-per-cpu=100M --time=10 \
    --output="$T/jobs/klonos-%A_%a.log" --export=ALL,KLONOS="$KLONOS" "$SBATCH_SCRIPT" manifest.csv out
}
wait_for() { # JOBID...: until squeue no longer lists them
  i=0
  while [ -n "$(squeue -h -j "$(echo "$@" | tr ' ' ,)" -o %i 2>/dev/null)" ]; do
    i=$((i + 1))
    [ $i -le $((WAIT_S * 2)) ] || { squeue >&2; fail "jobs $* not finished after $WAIT_S s"; }
    sleep 0.5
  done
}
check_tasks() { # JOBID: every array task COMPLETED with exit code 0
  scontrol show job -o "$1" >"$T/jobs/state-$1.txt" || fail "scontrol show job $1"
  good=$(grep -c 'JobState=COMPLETED .*ExitCode=0:0' "$T/jobs/state-$1.txt" || true)
  [ "$good" = "$TASKS" ] || { cat "$T/jobs/state-$1.txt" >&2; fail "job $1: $good of $TASKS tasks completed with exit code 0"; }
}

t_submit=$(date +%s)
ARRAY=$(submit) || fail "sbatch refused the array job"
JOBS="$ARRAY"
MERGE=$(sbatch --parsable --dependency=afterany:"$ARRAY" --output="$T/jobs/merge-%j.log" --time=10 \
  --wrap "'$KLONOS' batch-merge --manifest manifest.csv -o table.csv out/shard-*-of-$TASKS.jsonl") ||
  fail "sbatch refused the merge job"
JOBS="$JOBS $MERGE"
echo "submitted array job $ARRAY ($TASKS tasks) and merge job $MERGE"
wait_for "$ARRAY" "$MERGE"
echo "array and merge finished in $(($(date +%s) - t_submit)) s"
check_tasks "$ARRAY"
scontrol show job -o "$MERGE" | grep -q 'JobState=COMPLETED .*ExitCode=0:0' ||
  { scontrol show job -o "$MERGE" >&2; fail "merge job $MERGE did not complete with exit code 0"; }

# ---- every recording exactly once: in the shards, and in the table ----
check() {
  python3 - "$RECORDINGS" "$TASKS" <<'PY'
import collections, csv, json, sys
want_n, tasks = int(sys.argv[1]), int(sys.argv[2])
with open("manifest.csv", newline="") as f:
    want = {(r["subject"], r["path"]) for r in csv.DictReader(f)}
assert len(want) == want_n, len(want)
seen = collections.Counter()
for k in range(tasks):
    with open(f"out/shard-{k}-of-{tasks}.jsonl") as f:
        lines = [json.loads(l) for l in f]
    assert all(l["status"] == "ok" for l in lines), [l for l in lines if l["status"] != "ok"]
    seen.update((l["subject"], l["path"]) for l in lines)
    print(f"shard {k}/{tasks}: {len(lines)} recordings")
assert set(seen) == want, ("shards", want ^ set(seen))
assert max(seen.values()) == 1, ("twice in the shards", [k for k, v in seen.items() if v > 1])
with open("table.csv", newline="") as f:
    rows = list(csv.DictReader(f))
keys = collections.Counter((r["subject"], r["path"]) for r in rows)
assert set(keys) == want and max(keys.values()) == 1, ("table", keys)
assert all(r["status"] == "ok" and r["severity_motor"] != "" for r in rows), rows
print(f"every one of the {want_n} recordings exactly once in the shards and in table.csv")
PY
}
check || fail "the results are not every recording exactly once"

# ---- the same submission again resumes: nothing is analysed twice ----
before=$(cat out/*.jsonl | cksum)
ARRAY2=$(submit) || fail "sbatch refused the second array job"
JOBS="$JOBS $ARRAY2"
wait_for "$ARRAY2"
check_tasks "$ARRAY2"
[ "$(cat out/*.jsonl | cksum)" = "$before" ] || fail "the resubmitted array changed the shard outputs"
grep -h "already done" "$T"/jobs/klonos-"$ARRAY2"_*.log | sed 's/^/  /'
grep -q ", 0 to analyse" "$T/jobs/klonos-${ARRAY2}_0.log" || fail "the resubmitted task 0 analysed something again"
check || fail "after resubmitting, the results are not every recording exactly once"
echo "PASS: Slurm array jobs $ARRAY (+ merge $MERGE) and $ARRAY2 (resume) in $(elapsed) s"
