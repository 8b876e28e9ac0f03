#!/usr/bin/env bash
# Multi-GPU testing with DDP:
#   tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py args]
# NNODES, NODE_RANK, MASTER_ADDR, PORT and PYTHON as for dist_train.sh.
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "error: usage: $0 CONFIG CHECKPOINT GPUS [test.py args]" >&2
    exit 1
fi
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
shift 3
exec "$(dirname "$0")/dist_run.sh" "$GPUS" test.py "$CONFIG" "$CHECKPOINT" "$@"
