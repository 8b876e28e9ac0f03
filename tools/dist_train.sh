#!/usr/bin/env bash
# Multi-GPU training with DDP: tools/dist_train.sh CONFIG GPUS [train.py args]
# NNODES, NODE_RANK, MASTER_ADDR, PORT and PYTHON are honoured as in mmseg's
# script (tools/dist_run.sh).
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "error: usage: $0 CONFIG GPUS [train.py args]" >&2
    exit 1
fi
CONFIG=$1
GPUS=$2
shift 2
exec "$(dirname "$0")/dist_run.sh" "$GPUS" train.py "$CONFIG" "$@"
