# What a job asks SLURM for, from mmseg's variables, checked before anything
# is submitted (sourced by slurm_run.sh and slurm_submit.sh):
#   GPUS           tasks in all, one per GPU (default 4)
#   GPUS_PER_NODE  GPUs (and tasks) per node (default 4); 0 on a partition
#                  without GPUs: no --gres, SLURM places the GPUS tasks
#   CPUS_PER_TASK  CPU cores per task (default 5)
#   PYTHON         the interpreter on the nodes (default python)
# check_request PARTITION sets REQUEST (the srun/sbatch resource options) or
# ends in one "error:" line naming the variable to change, exit 1.
# check_launch TOOL [args] (tools/launch_check.sh) checks PYTHON and the
# tool's arguments once, here, before anything is queued: a bad one is one
# line, not one per task after a wait in the queue.
source "$(dirname "${BASH_SOURCE[0]}")/launch_check.sh"  # and fail
GPUS=${GPUS:-4}
GPUS_PER_NODE=${GPUS_PER_NODE:-4}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}

check_request() {
    local partition=$1 name command nodes most
    for name in GPUS GPUS_PER_NODE CPUS_PER_TASK; do
        [[ ${!name} =~ ^[0-9]+$ ]] || fail "$name=${!name} is not a whole" \
            "number (GPUS: tasks in all; GPUS_PER_NODE: 0 on a partition" \
            "without GPUs; CPUS_PER_TASK: cores per task)"
    done
    [ "$GPUS" -ge 1 ] || fail "GPUS=$GPUS: at least 1 task is needed"
    [ "$CPUS_PER_TASK" -ge 1 ] || fail "CPUS_PER_TASK=$CPUS_PER_TASK: at least 1"
    for command in srun sbatch sinfo scontrol; do
        command -v "$command" >/dev/null || fail "$command is not on PATH:" \
            "run this on a SLURM login node (or load SLURM's module), or" \
            "train without SLURM (tools/train.py, tools/dist_train.sh)"
    done
    # the partition's nodes, one "CPUs|generic resources" line per kind
    # (--exact: otherwise sinfo groups nodes and prints their fewest CPUs as "32+")
    if ! nodes=$(sinfo -h --exact -p "$partition" -o '%c|%G' 2>&1); then
        fail "cannot ask SLURM about partition $partition:" \
            "$(tail -n1 <<<"$nodes")"
    fi
    [ -n "$nodes" ] || fail "SLURM has no partition '$partition'; the" \
        "partitions here: $(sinfo -h -o '%R' | sort -u | paste -sd' ' -)"
    REQUEST=(--ntasks="$GPUS" --cpus-per-task="$CPUS_PER_TASK")
    if [ "$GPUS_PER_NODE" -gt 0 ]; then
        grep -q 'gpu' <<<"$nodes" || fail "partition $partition has no GPUs" \
            "(none in its nodes' generic resources), but" \
            "GPUS_PER_NODE=$GPUS_PER_NODE; set GPUS_PER_NODE=0 to run" \
            "GPUS=$GPUS task(s) on its CPUs"
        REQUEST+=(--gres=gpu:"$GPUS_PER_NODE" --ntasks-per-node="$GPUS_PER_NODE")
    fi
    most=$(cut -d'|' -f1 <<<"$nodes" | tr -d '+' | sort -n | tail -n1)
    [ "$CPUS_PER_TASK" -le "$most" ] || fail "CPUS_PER_TASK=$CPUS_PER_TASK," \
        "but the nodes of partition $partition have at most $most CPUs; set" \
        "CPUS_PER_TASK=$most or less"
}
