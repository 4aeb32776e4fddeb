#!/bin/bash
# tests/slurm_ci.sh [BUILD_DIR] — the Slurm job-array test on a real, throwaway single-node
# Slurm: starts munged + slurmctld + slurmd on localhost (scripts/slurm/start.sh, state in
# /tmp/facesift-slurm-ci), runs tests/script_slurm_array.sh against it with
# FSIFT_SLURM_REQUIRED=1 (a skip is a failure here), and stops Slurm in an EXIT trap whatever
# happens. Needs root and Debian's slurmctld, slurmd, slurm-client and munge
# (scripts/install-deps.sh). .ci/run calls it after `make test`.
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
DIR=${FSIFT_SLURM_DIR:-/tmp/facesift-slurm-ci}
[ -x "$BUILD/facesift" ] || { echo "slurm_ci: $BUILD/facesift not built (make build)" >&2; exit 1; }
trap 'bash "$SRC/scripts/slurm/stop.sh" "$DIR"' EXIT
bash "$SRC/scripts/slurm/start.sh" "$DIR"
export SLURM_CONF=$DIR/slurm.conf FSIFT_SLURM_REQUIRED=1
export FSIFT_SOURCE_DIR=$SRC FSIFT_BUILD_DIR=$BUILD FSIFT_BIN=$BUILD/facesift
export FSIFT_MODELS_DIR=${FSIFT_MODELS_DIR:-$SRC/models}
bash "$SRC/tests/script_slurm_array.sh"
