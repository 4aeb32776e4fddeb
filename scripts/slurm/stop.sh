#!/bin/bash
# scripts/slurm/stop.sh — stop what scripts/slurm/start.sh started, by PID file.
#
#   scripts/slurm/stop.sh [DIR] [--keep-munge]
#
# Jobs are cancelled first: with proctrack/linuxproc, slurmstepd and the job's processes
# outlive slurmd. Each daemon gets TERM, up to 10 s, then KILL. munged is stopped too when
# start.sh started it (DIR/munged.started), unless --keep-munge.
DIR=${1:-/tmp/facesift-slurm}
export SLURM_CONF=$DIR/slurm.conf
export PATH=$PATH:/usr/sbin
if [ -f "$SLURM_CONF" ]; then
    scancel --user="$(id -un)" 2>/dev/null || true
    for _ in $(seq 1 100); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.1; done
fi
stop_pidfile() {
    local f=$1 p
    [ -s "$f" ] || return 0
    p=$(cat "$f")
    kill -0 "$p" 2>/dev/null || return 0
    kill -TERM "$p"
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && kill -KILL "$p"
    return 0
}
stop_pidfile "$DIR/slurmd.pid"
stop_pidfile "$DIR/slurmctld.pid"
if [ "${2:-}" != --keep-munge ] && [ -e "$DIR/munged.started" ]; then
    stop_pidfile /run/munge/munged.pid
    rm -f "$DIR/munged.started"
fi
echo "slurm stopped ($DIR)"
