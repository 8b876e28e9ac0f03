#!/usr/bin/env bash
# Train on a SLURM cluster (mmseg's slurm_train.sh, with our tools/train.py):
#   GPUS=16 GPUS_PER_NODE=8 tools/slurm_train.sh PARTITION JOB_NAME CONFIG [train.py args]
# --resume is always on: a requeued (preempted) job continues from its newest
# intact checkpoint, a new one starts from iteration 0. SIGTERM before a
# preemption makes every rank checkpoint after the current iteration.
set -euo pipefail
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
shift 3
exec "$(dirname "$0")/slurm_run.sh" "$PARTITION" "$JOB_NAME" train.py \
    "$CONFIG" --launcher=slurm --resume "$@"
