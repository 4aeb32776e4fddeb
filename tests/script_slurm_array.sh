#!/bin/bash
# script_slurm_array.sh — `facesift slurm` on a real Slurm cluster (tests/slurm_ci.sh starts a
# single-node one on localhost; .ci/run runs it that way):
#   - 24 webdataset tars made from the test photos (tests/slurm_gen.py) built as an 8-task
#     array (3 input shards per task, as build --shard I/8 assigns them);
#   - one task's facesift is killed with kill -9 mid-run (after its first shard, while its
#     second is being written: the half-written shard's temporary files are listed) and one
#     task is cancelled with scancel; status shows them failed (exit 137) and missing;
#   - merge refuses while tasks are not done; resume resubmits exactly those two as a new
#     array; the rerun removes the dead task's temporary files and finishes the shards;
#   - the merged output equals a single-process `facesift build` of the same input: sha256 of
#     every file (stats files without their "run" member: wall time, per-stage ms);
#   - two concurrent merges (one refuses), a lock held by a live process (refused), a stale
#     lock (taken over);
#   - a task that fails every time (its output folder is a file): resubmitted until
#     --max-attempts, then reported with its log path and not resubmitted (exit 1);
#   - an unreachable controller (SLURM_CONF pointing at a closed port): exit 1 naming sbatch
#     and the controller, nothing recorded.
# Skips (77) when Slurm's client is not installed or no controller answers (`scontrol ping`),
# unless FSIFT_SLURM_REQUIRED=1 (tests/slurm_ci.sh sets it: then those are failures); also
# skips when Pillow, the photos or the models are missing.
set -u
. "$(dirname "$0")/slurm_common.sh"
for c in sbatch squeue scancel scontrol; do
    command -v $c >/dev/null 2>&1 || skip "Slurm's '$c' is not installed (apt-get install slurm-client; tests/slurm_ci.sh runs this test on a throwaway cluster)"
done
scontrol ping >/dev/null 2>&1 || skip "no Slurm controller answers 'scontrol ping' (SLURM_CONF=${SLURM_CONF:-unset}); tests/slurm_ci.sh starts one (scripts/slurm/start.sh) and runs this test"
slurm_test_setup slurm_array

# wait_job ID [SECONDS]: until no element of the job is queued (sbatch --wait notices ~20 s late)
wait_job() {
    local i
    for i in $(seq 1 $(( ${2:-150} * 10 ))); do
        [ -z "$(squeue -h -j "$1" 2>/dev/null)" ] && return 0
        sleep 0.1
    done
    bad "job $1 still queued after ${2:-150} s"
    squeue
    return 1
}
job_of() { sed -n 's/^submitted job \([0-9]*\):.*/\1/p;s/^resubmitted .* as job \([0-9]*\):.*/\1/p' "$1" | tail -n 1; }

step "inputs: 24 webdataset tars (72 samples) from the test photos; Slurm: $(sinfo -h -o '%P %D nodes, %c CPUs, %t' | head -n 1)"
$PY "$G" gen "$WORK" --photos "$PHOTOS" --shards 24 || exit 1

step "reference: one single-process facesift build"
"$BIN" build shards -o single --quiet || bad "single build"

step "facesift slurm build --tasks 8"
"$BIN" slurm build shards -o arr --tasks 8 --dry-run > dry.txt || bad "dry run"
grep -q -- '--shard "$I/8"' dry.txt && grep -q '^#SBATCH --array=0-7$' dry.txt && [ ! -e arr/slurm/jobs.json ] ||
    bad "dry run: script without the array/shard lines, or it submitted"
"$BIN" slurm build shards -o arr --tasks 8 | tee submit.txt || bad "slurm build"
JOB=$(job_of submit.txt)
[ -n "$JOB" ] || { bad "no job id printed"; exit 1; }
grep -q "\"job_id\": \"$JOB\"" arr/slurm/jobs.json || bad "job $JOB not in jobs.json"
scancel "${JOB}_5" && echo "cancelled task 5 (scancel ${JOB}_5)"
"$BIN" slurm status arr > status0.txt
grep '^summary' status0.txt
grep -Eq '^summary: .*[1-9][0-9]* (running|pending)' status0.txt || bad "status right after submission shows nothing running or pending"

step "kill -9 task 3's facesift after its first shard, mid-way through the second"
killed=0
for _ in $(seq 1 1200); do
    pid=$(pgrep -f -- "-o $WORK/arr/shards/3 --shard 3/8" | head -n 1)
    done3=$(ls arr/shards/3 2>/dev/null | grep -c '_stats.json$')
    if [ -n "$pid" ] && [ "$done3" -ge 1 ] && [ "$done3" -lt 3 ]; then
        kill -9 "$pid" && killed=1
        echo "killed task 3 (facesift pid $pid, job ${JOB}_3) with $done3 of 3 shards done"
        break
    fi
    [ "$done3" -ge 3 ] && break
    sleep 0.05
done
[ "$killed" = 1 ] || bad "could not catch task 3 mid-run (shards done: ${done3:-0})"
sleep 0.3
half=$(ls arr/shards/3 | grep '\.tmp\.' | tr '\n' ' ')
echo "task 3's folder after the kill: $(ls arr/shards/3 | grep -c _stats.json) stats files; half-written: ${half:-none (killed between files)}"
wait_job "$JOB"

step "status after the first array"
"$BIN" slurm status arr | tee status1.txt || bad "status"
grep -Eq '^3 +failed .*exit 137' status1.txt || bad "task 3 not reported failed with exit 137"
grep -Eq '^5 +(missing|failed) ' status1.txt || bad "task 5 (cancelled) not reported missing"
[ "$(grep -Ec '^[0-7] +done ' status1.txt)" = 6 ] || bad "the 6 other tasks are not all done"
"$BIN" slurm merge arr > /dev/null 2> merge_early.txt
rc=$?
[ $rc = 1 ] && grep -q "not every task is done" merge_early.txt && echo "merge before the end refused (exit 1)" || bad "merge with unfinished tasks: exit $rc"

step "resume: only the killed and the cancelled task are resubmitted"
"$BIN" slurm resume arr | tee resume.txt || bad "resume"
JOB2=$(job_of resume.txt)
grep -q "resubmitted 2 tasks as job $JOB2: array 3,5$" resume.txt || bad "resume did not resubmit exactly tasks 3,5"
wait_job "$JOB2"
"$BIN" slurm status arr | tee status2.txt
[ "$(grep -Ec '^[0-7] +done ' status2.txt)" = 8 ] || bad "not all 8 tasks done after resume"
grep -Eq '^3 +done +3/3 +2 ' status2.txt || bad "task 3 should be done after 2 attempts"
left=$(find arr/shards -name '*.tmp.*' | wc -l)
[ "$left" = 0 ] && echo "no temporary files left in arr/shards (the dead task's were removed by the rerun)" || bad "$left temporary files left"
grep -h "facesift-slurm: task 3" arr/slurm/logs/*_3.out

step "merge: concurrent merges and lock files"
sleep 60 & holder=$!
echo "$holder $(hostname) $(date +%s)" > arr/slurm/merge.lock
"$BIN" slurm merge arr > /dev/null 2> lock_live.txt
rc=$?
kill "$holder"
wait "$holder" 2>/dev/null
[ $rc = 1 ] && grep -q "another merge holds" lock_live.txt && echo "lock held by a live process (pid $holder): refused: $(cat lock_live.txt)" || bad "merge with a live lock: exit $rc"
"$BIN" slurm merge arr > /dev/null 2> lock_stale.txt || bad "merge over a stale lock"
grep -q "stale lock" lock_stale.txt && echo "stale lock (pid $holder gone): taken over" || bad "no stale-lock warning"
rm -rf arr/merged
"$BIN" slurm merge arr > m1.txt 2>&1 & p1=$!
"$BIN" slurm merge arr > m2.txt 2>&1 & p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
echo "two concurrent merges: exit $r1 and $r2"
for k in 1 2; do sed "s/^/  merge $k: /" m$k.txt; done
[ $r1 = 0 ] || [ $r2 = 0 ] || bad "neither concurrent merge succeeded"
if [ $r1 != 0 ] || [ $r2 != 0 ]; then
    grep -q "another merge holds" m1.txt m2.txt && echo "one merge refused while the other held the lock" || bad "a merge failed for another reason"
else
    echo "(the two merges did not overlap this time; the live-lock case above shows the refusal)"
fi
[ ! -e arr/slurm/merge.lock ] || bad "merge.lock left behind"
"$BIN" slurm merge arr > /dev/null || bad "final merge"

step "compare: merged array output vs the single-process build (sha256 of every file)"
$PY "$G" compare single arr/merged || bad "merged output differs from the single-process build"
"$BIN" merge arr/shards/* -o merged2 > /dev/null && $PY "$G" compare single merged2 > /dev/null ||
    bad "documented 'facesift merge OUT/shards/* -o DIR' differs"

step "a task that fails every time: --max-attempts 2"
mkdir -p two rep/shards && cp shards/s000.tar shards/s001.tar two/ && touch rep/shards/1
"$BIN" slurm build two -o rep --tasks 2 --max-attempts 2 | tee rsub.txt || bad "slurm build (rep)"
wait_job "$(job_of rsub.txt)"
"$BIN" slurm resume rep | tee rres1.txt || bad "first resume (rep)"
grep -q "task 1: failed .* attempt 2 of 2" rres1.txt || bad "task 1 not resubmitted as attempt 2"
wait_job "$(job_of rres1.txt)"
"$BIN" slurm resume rep > rres2.txt 2>&1
rc=$?
cat rres2.txt
log=$(sed -n 's/^task 1: .*; log \(.*\)$/\1/p' rres2.txt)
[ $rc = 1 ] && grep -q "not resubmitted (max 2)" rres2.txt && [ -s "$log" ] && grep -q "is not a folder" "$log" &&
    echo "gave up on task 1 after 2 attempts; its log $log says: $(grep -m1 "is not a folder" "$log")" ||
    bad "repeatedly failing task: exit $rc, log '$log'"
[ "$(grep -c '"job_id"' rep/slurm/jobs.json)" = 2 ] || bad "a third submission was recorded"
rm rep/shards/1
"$BIN" slurm resume rep --max-attempts 3 | tee rres3.txt || bad "resume after the fix"
wait_job "$(job_of rres3.txt)"
"$BIN" slurm status rep | grep -q "^summary: 2 done" && echo "cause removed, --max-attempts 3: task 1 done" || bad "rep not done after the fix"

step "unreachable controller"
sed 's/^SlurmctldPort=.*/SlurmctldPort=6899/' "$SLURM_CONF" > bad.conf
grep -q '^SlurmctldPort=6899' bad.conf || bad "could not make bad.conf"
SLURM_CONF=$WORK/bad.conf "$BIN" slurm build shards -o unreach --tasks 8 > /dev/null 2> unreach.txt
rc=$?
cat unreach.txt
[ $rc = 1 ] && grep -q "sbatch" unreach.txt && grep -q "controller" unreach.txt || bad "unreachable controller: exit $rc"
[ ! -e unreach/slurm/jobs.json ] || bad "jobs.json written although nothing was submitted"

step "done in $(( $(date +%s) - T0 ))s"
exit $fail
