#!/usr/bin/env bash
# srun one of our tools on a SLURM cluster (used by slurm_train.sh and
# slurm_test.sh): tools/slurm_run.sh PARTITION JOB_NAME TOOL [TOOL args]
# GPUS, GPUS_PER_NODE, CPUS_PER_TASK and PYTHON as in mmseg (slurm_request.sh);
# SRUN_ARGS: more srun options, e.g. "--time=12:00:00". Inside a batch job
# (tools/slurm_submit.sh) it runs as a step of that job. The tool's
# arguments are checked here first (check_launch), once.
set -euo pipefail
source "$(dirname "$0")/slurm_request.sh"
[ $# -ge 3 ] || fail "usage: $0 PARTITION JOB_NAME TOOL [TOOL args]"
PARTITION=$1
JOB_NAME=$2
TOOL=$3
shift 3
check_request "$PARTITION"
check_launch "$TOOL" "$@"
if [ "$GPUS_PER_NODE" -eq 0 ]; then
    # a CPU task computes with its cores (mmengine's DDP default: 1 thread)
    export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$CPUS_PER_TASK}
fi
# shellcheck disable=SC2086  # SRUN_ARGS holds several arguments
exec srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    "${REQUEST[@]}" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS:-} \
    "$PYTHON" -u "$TOOLS/$TOOL" "$@"
