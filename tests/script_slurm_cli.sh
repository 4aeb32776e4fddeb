#!/bin/bash
# script_slurm_cli.sh — `facesift slurm` without a Slurm cluster (runs everywhere; the real
# cluster test is script_slurm_array.sh via tests/slurm_ci.sh):
#   - bad usage exits 2 (no --tasks, --shard given, more tasks than input shards, unknown
#     action), a folder that is not a Slurm build exits 1 naming jobs.json;
#   - --dry-run prints a script that bash accepts (bash -n) and submits nothing;
#   - sbatch not on PATH, and an sbatch that cannot reach the controller: exit 1, a message
#     naming sbatch and the cause, nothing recorded;
#   - with stand-in sbatch/squeue/sacct (the INPUT path holds a space and a quote) (shell scripts on PATH that record their arguments):
#     the submitted --array list, jobs.json, then job.sh itself run by hand for each task
#     (SLURM_ARRAY_TASK_ID set as Slurm would) builds OUT/shards/I and writes the exit file;
#     status reads done / pending (from the stand-in squeue) / failed (exit file) / missing;
#     resume resubmits exactly the failed and missing tasks and never a queued one;
#   - merge refuses while a task is not done and while a live process holds the lock, takes
#     over a stale lock, and the merged output equals a single-process build (sha256).
# The parallel part builds with --min-side 4000 (no face detection: fast under ASan).
# Skips (77) when Pillow, the photos or the models are missing.
set -u
. "$(dirname "$0")/slurm_common.sh"
slurm_test_setup slurm_cli
unset SLURM_CONF
expect_rc() { # expect_rc RC GREP_PATTERN FILE WHAT
    if [ "$rc" != "$1" ] || ! grep -q -- "$2" "$3"; then bad "$4: exit $rc (want $1), output: $(head -c 300 "$3")"; else echo "$4: exit $rc ok"; fi
}
$PY "$G" gen "$WORK" --photos "$PHOTOS" --shards 4 || exit 1

step "bad usage"
"$BIN" slurm build shards -o u > u.txt 2>&1; rc=$?; expect_rc 2 "--tasks N is required" u.txt "no --tasks"
"$BIN" slurm build shards -o u --tasks 2 --shard 0/2 > u.txt 2>&1; rc=$?; expect_rc 2 "set per task" u.txt "--shard given"
"$BIN" slurm build shards -o u --tasks 5 --dry-run > u.txt 2>&1; rc=$?; expect_rc 2 "4 input shards, fewer than --tasks 5" u.txt "5 tasks, 4 shards"
"$BIN" slurm build nowhere -o u --tasks 1 > u.txt 2>&1; rc=$?; expect_rc 2 "INPUT 'nowhere'" u.txt "missing input"
"$BIN" slurm frobnicate u > u.txt 2>&1; rc=$?; expect_rc 2 "unknown action" u.txt "unknown action"
mkdir -p notslurm
"$BIN" slurm status notslurm > u.txt 2>&1; rc=$?; expect_rc 1 "jobs.json' not found" u.txt "status of a plain folder"

step "--dry-run"
"$BIN" slurm build shards -o dry --tasks 3 --cpus-per-task 2 --time 01:00:00 --mem 2G --partition debug --dry-run > dry.sh || bad "dry run"
bash -n dry.sh || bad "dry-run script is not valid bash"
for l in '#SBATCH --array=0-2' '#SBATCH --cpus-per-task=2' '#SBATCH --time=01:00:00' '#SBATCH --mem=2G' '#SBATCH --partition=debug' \
         "--threads' '2'" '--shard "$I/3"' "#SBATCH --output=$WORK/dry/slurm/logs/%A_%a.out"; do
    grep -qF -- "$l" dry.sh || bad "dry-run script lacks: $l"
done
[ ! -e dry ] && echo "dry run: script printed, nothing written or submitted" || bad "dry run wrote files"

step "no sbatch on PATH; an sbatch that cannot reach the controller"
mkdir -p empty fakebin
PATH=$WORK/empty "$BIN" slurm build shards -o nob --tasks 2 > u.txt 2>&1; rc=$?; expect_rc 1 "'sbatch' is not on PATH" u.txt "sbatch missing"
cat > fakebin/sbatch <<'EOF'
#!/bin/bash
echo "$*" >> "$FAKE_LOG"
if [ -n "${FAKE_DOWN:-}" ]; then echo "sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)"; exit 1; fi
n=$(( $(cat "$FAKE_ID" 2>/dev/null || echo 100) + 1 )); echo "$n" > "$FAKE_ID"; echo "$n"
EOF
cat > fakebin/squeue <<'EOF'
#!/bin/bash
cat "$FAKE_QUEUE" 2>/dev/null; exit 0
EOF
printf '#!/bin/bash\necho "sacct: error: Slurm accounting storage is disabled"; exit 1\n' > fakebin/sacct
chmod +x fakebin/*
export PATH=$WORK/fakebin:$PATH FAKE_LOG=$WORK/sbatch.log FAKE_ID=$WORK/jobid FAKE_QUEUE=$WORK/queue.txt
FAKE_DOWN=1 "$BIN" slurm build shards -o down --tasks 2 > u.txt 2>&1; rc=$?; expect_rc 1 "controller (slurmctld) is unreachable" u.txt "controller down"
[ ! -e down/slurm/jobs.json ] || bad "jobs.json written although sbatch failed"

step "stand-in Slurm: submit, run job.sh by hand, status, resume"
"$BIN" build shards -o single --quiet > /dev/null || bad "single build"
mkdir -p "in put's" && cp -r shards "in put's/sh"  # a space and a quote in an INPUT path: job.sh quotes it
"$BIN" slurm build "in put's/sh" -o arr --tasks 3 --quiet > sub.txt || bad "slurm build"
cat sub.txt
grep -q "^--parsable --array=0-2 $WORK/arr/slurm/job.sh$" sbatch.log || bad "sbatch called with: $(cat sbatch.log)"
grep -q '"job_id": "101"' arr/slurm/jobs.json || bad "job 101 not recorded"
"$BIN" slurm build shards -o arr --tasks 3 > u.txt 2>&1; rc=$?; expect_rc 1 "already holds a Slurm build" u.txt "second slurm build into the same OUT"
SLURM_ARRAY_TASK_ID=0 SLURM_ARRAY_JOB_ID=101 bash arr/slurm/job.sh > t0.log 2>&1 || bad "task 0 by hand"
SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_JOB_ID=101 bash arr/slurm/job.sh > t1.log 2>&1 || bad "task 1 by hand"
[ "$(cat arr/slurm/exit/101_0)" = 0 ] || bad "exit file of task 0"
echo "101 2 PD" > queue.txt
"$BIN" slurm status arr > st1.txt || bad "status"
cat st1.txt
grep -Eq '^0 +done +2/2 ' st1.txt && grep -Eq '^1 +done +1/1 ' st1.txt && grep -Eq '^2 +pending ' st1.txt || bad "status: task 0 done, task 2 pending"
"$BIN" slurm resume arr > r0.txt 2>&1 || bad "resume with nothing to do"
grep -q "nothing to resubmit: 1 task running or pending" r0.txt || bad "resume resubmitted a queued task: $(cat r0.txt)"
: > queue.txt
echo 137 > arr/slurm/exit/101_1 && rm arr/shards/1/00001_stats.json  # task 1 "killed" before its stats file
"$BIN" slurm status arr > st2.txt
grep -Eq '^1 +failed +0/1 .*exit 137' st2.txt && grep -Eq '^2 +missing +0/1 ' st2.txt || { bad "status: task 1 failed, task 2 missing"; cat st2.txt; }
"$BIN" slurm merge arr > u.txt 2>&1; rc=$?; expect_rc 1 "not every task is done" u.txt "merge before all done"
"$BIN" slurm resume arr > r1.txt || bad "resume"
cat r1.txt
tail -n 1 sbatch.log | grep -q -- "--array=1-2 " || bad "resume submitted: $(tail -n 1 sbatch.log)"
for t in 1 2; do SLURM_ARRAY_TASK_ID=$t SLURM_ARRAY_JOB_ID=102 bash arr/slurm/job.sh > r$t.log 2>&1 || bad "task $t rerun"; done
"$BIN" slurm status arr | grep -q "^summary: 3 done" || bad "not all done after the reruns"

step "merge: lock held by a live process, stale lock, result"
sleep 30 & holder=$!
echo "$holder $(hostname) $(date +%s)" > arr/slurm/merge.lock
"$BIN" slurm merge arr > u.txt 2>&1; rc=$?; expect_rc 1 "another merge holds" u.txt "live lock"
kill "$holder"; wait "$holder" 2>/dev/null
"$BIN" slurm merge arr > u.txt 2>&1 && grep -q "stale lock" u.txt && echo "stale lock taken over" || bad "stale lock: $(cat u.txt)"
[ ! -e arr/slurm/merge.lock ] || bad "lock left behind"
$PY "$G" compare single arr/merged || bad "merged output differs from the single-process build"

step "the same flow with GNU parallel (docs/cluster.md): a failed shard job, --resume-failed, merge"
if command -v parallel >/dev/null 2>&1; then
    FAST="--min-side 4000"  # every sample a resolution reject: the flow, not the faces, is tested here
    "$BIN" build shards -o single_fast --quiet $FAST > /dev/null || bad "single build ($FAST)"
    mkdir -p par/shards && touch par/shards/1  # job 1 fails: its output folder is a file
    parallel --joblog par/jobs.log "$BIN" build shards -o par/shards/{} --shard {}/3 --quiet $FAST ::: 0 1 2 > /dev/null 2> par/err1.txt
    rc=$?
    [ $rc = 1 ] && echo "parallel: 1 job failed (exit $rc): $(grep -m1 'not a folder' par/err1.txt)" || bad "parallel run 1: exit $rc"
    rm par/shards/1
    parallel --joblog par/jobs.log --resume-failed "$BIN" build shards -o par/shards/{} --shard {}/3 --quiet $FAST ::: 0 1 2 > /dev/null ||
        bad "parallel --resume-failed"
    [ "$(tail -n +2 par/jobs.log | wc -l)" = 4 ] && echo "--resume-failed reran only job 1 ($(tail -n 1 par/jobs.log | cut -f 7,9))" ||
        bad "joblog: $(cat par/jobs.log)"
    "$BIN" merge par/shards/* -o par/merged > /dev/null || bad "merge of the parallel outputs"
    $PY "$G" compare single_fast par/merged || bad "parallel + merge differs from the single-process build"
else
    echo "NOTE: GNU parallel is not installed here (scripts/install-deps.sh installs it): its flow was not run"
fi
exit $fail
