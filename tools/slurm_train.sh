#!/usr/bin/env bash
# Train on a SLURM cluster (mmseg's slurm_train.sh, with our tools/train.py):
#   GPUS=16 GPUS_PER_NODE=8 tools/slurm_train.sh PARTITION JOB_NAME CONFIG [train.py args]
#   GPUS=2 GPUS_PER_NODE=0 CPUS_PER_TASK=1 tools/slurm_train.sh PARTITION ...  (no GPUs)
# --resume is always on: a requeued (preempted) job continues from its newest
# intact checkpoint, a new one starts from iteration 0. SIGTERM before a
# preemption makes every rank checkpoint after the current iteration.
# As a requeueable batch job: tools/slurm_submit.sh (same arguments).
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "error: usage: $0 PARTITION JOB_NAME CONFIG [train.py args]" >&2
    exit 1
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
shift 3
exec "$(dirname "$0")/slurm_run.sh" "$PARTITION" "$JOB_NAME" train.py \
    "$CONFIG" --launcher=slurm --resume "$@"
