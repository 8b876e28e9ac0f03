#!/usr/bin/env bash
# torchrun one of our tools on this machine (used by dist_train.sh and
# dist_test.sh): tools/dist_run.sh GPUS TOOL [TOOL args]
# NNODES, NODE_RANK, MASTER_ADDR, PORT and PYTHON as in mmseg's scripts.
# PYTHON and the tool's arguments are checked once before any task starts
# (check_launch, tools/launch_check.sh: a bad one is one error line, not one
# per task), and a failed task ends the launch in one line, not in torchrun's
# traceback (fcn_plugin.tooling.torchrun).
set -euo pipefail
source "$(dirname "$0")/launch_check.sh"  # check_launch, fail
[ $# -ge 2 ] || fail "usage: $0 GPUS TOOL [TOOL args]"
GPUS=$1
TOOL=$2
shift 2
[[ $GPUS =~ ^[0-9]+$ ]] && [ "$GPUS" -ge 1 ] || fail "GPUS=$GPUS: give" \
    "the number of processes to start on this machine (one per GPU), 1 or more"
check_launch "$TOOL" "$@"
exec "$PYTHON" -m fcn_plugin.tooling.torchrun \
    --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="${PORT:-29500}" \
    --nproc_per_node="$GPUS" \
    "$TOOLS/$TOOL" "$@" --launcher pytorch
