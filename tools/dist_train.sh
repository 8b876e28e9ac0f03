#!/usr/bin/env bash
# Multi-GPU training with DDP: tools/dist_train.sh CONFIG GPUS [train.py args]
# NNODES, NODE_RANK, MASTER_ADDR and PORT are honoured as in mmseg's script.
set -euo pipefail
CONFIG=$1
GPUS=$2
shift 2
PYTHON=${PYTHON:-python}
exec "$PYTHON" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="${PORT:-29500}" \
    --nproc_per_node="$GPUS" \
    "$(dirname "$0")/train.py" "$CONFIG" --launcher pytorch "$@"
