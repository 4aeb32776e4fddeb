#!/bin/bash
# scripts/slurm/start.sh — start a throwaway single-node Slurm (Debian 12, Slurm 22.05) on
# localhost, as root, for tests: munged, slurmctld and slurmd, all state under DIR.
#
#   scripts/slurm/start.sh [DIR]      (default /tmp/facesift-slurm)
#   export SLURM_CONF=DIR/slurm.conf  (every Slurm command reads the config through it)
#
# Ports: FSIFT_SLURM_PORT (default 6817) for slurmctld, +1 for slurmd. CPUs: FSIFT_SLURM_CPUS
# (default nproc). Install first: apt-get install slurmctld slurmd slurm-client munge.
# Stop with scripts/slurm/stop.sh DIR (in a trap). Pitfalls handled here: no systemd (daemons
# started by hand, PID files), the hostname is not "localhost" (slurmd -N localhost), stale
# state from an earlier run (wiped: job ids restart at 1), munge key missing.
set -euo pipefail
DIR=${1:-/tmp/facesift-slurm}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PORT=${FSIFT_SLURM_PORT:-6817}
CPUS=${FSIFT_SLURM_CPUS:-$(nproc)}
for b in munged slurmctld slurmd sinfo; do
    command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || { echo "start.sh: $b not installed (apt-get install slurmctld slurmd slurm-client munge)" >&2; exit 1; }
done
export PATH=$PATH:/usr/sbin
mkdir -p "$DIR"/{state,spool,log}
rm -rf "$DIR"/state/* "$DIR"/spool/* "$DIR"/log/jobcomp.txt
sed -e "s|@DIR@|$DIR|g" -e "s|@CPUS@|$CPUS|g" -e "s|@CTLD_PORT@|$PORT|g" -e "s|@SLURMD_PORT@|$((PORT + 1))|g" \
    "$HERE/slurm.conf.in" > "$DIR/slurm.conf"
export SLURM_CONF=$DIR/slurm.conf
# munge: the package's postinst creates /etc/munge/munge.key; without systemd it is not started
if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
fi
install -d -o munge -g munge -m 0755 /run/munge
rm -f "$DIR/munged.started"
if ! munge -n >/dev/null 2>&1; then
    runuser -u munge -- munged     # daemonizes once its socket is ready
    touch "$DIR/munged.started"    # stop.sh stops munged only when we started it
fi
munge -n | unmunge >/dev/null
slurmctld                           # daemon; pid -> $DIR/slurmctld.pid
slurmd -N localhost                 # -N: the machine's hostname is not the NodeName
st=""
for _ in $(seq 1 300); do           # wait up to 30 s for the node to register
    st=$(sinfo -h -n localhost -o %t 2>/dev/null || true)
    [ "$st" = idle ] && break
    sleep 0.1
done
if [ "$st" != idle ]; then
    echo "start.sh: node not idle: '$st'" >&2
    tail -20 "$DIR"/log/slurm*.log >&2
    exit 1
fi
echo "slurm up on localhost ($CPUS CPUs, port $PORT): slurmctld $(cat "$DIR/slurmctld.pid"), slurmd $(cat "$DIR/slurmd.pid"); export SLURM_CONF=$DIR/slurm.conf"
