#!/usr/bin/env bash
# Test on a SLURM cluster (mmseg's slurm_test.sh, with our tools/test.py):
#   GPUS=8 tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py args]
#   GPUS=1 GPUS_PER_NODE=0 CPUS_PER_TASK=2 tools/slurm_test.sh ...  (no GPUs)
set -euo pipefail
if [ $# -lt 4 ]; then
    echo "error: usage: $0 PARTITION JOB_NAME CONFIG CHECKPOINT [test.py args]" >&2
    exit 1
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
CHECKPOINT=$4
shift 4
exec "$(dirname "$0")/slurm_run.sh" "$PARTITION" "$JOB_NAME" test.py \
    "$CONFIG" "$CHECKPOINT" --launcher=slurm "$@"
