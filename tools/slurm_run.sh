#!/usr/bin/env bash
# srun one of our tools on a SLURM cluster (used by slurm_train.sh and
# slurm_test.sh): tools/slurm_run.sh PARTITION JOB_NAME TOOL [TOOL args]
# GPUS, GPUS_PER_NODE, CPUS_PER_TASK, SRUN_ARGS and PYTHON as in mmseg.
set -euo pipefail
PARTITION=$1
JOB_NAME=$2
TOOL=$3
shift 3
GPUS=${GPUS:-4}
GPUS_PER_NODE=${GPUS_PER_NODE:-4}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
PYTHON=${PYTHON:-python}
# shellcheck disable=SC2086  # SRUN_ARGS holds several arguments
srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    --gres=gpu:"$GPUS_PER_NODE" \
    --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    $SRUN_ARGS \
    "$PYTHON" -u "$(dirname "$0")/$TOOL" "$@"
