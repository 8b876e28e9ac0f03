#!/usr/bin/env bash
# Test on a SLURM cluster (mmseg's slurm_test.sh, with our tools/test.py):
#   GPUS=8 tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py args]
set -euo pipefail
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
CHECKPOINT=$4
shift 4
exec "$(dirname "$0")/slurm_run.sh" "$PARTITION" "$JOB_NAME" test.py \
    "$CONFIG" "$CHECKPOINT" --launcher=slurm "$@"
