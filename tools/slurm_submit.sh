#!/usr/bin/env bash
# Train as a requeueable SLURM batch job (tools/slurm_train.sh inside it):
#   GPUS=8 GPUS_PER_NODE=8 tools/slurm_submit.sh PARTITION JOB_NAME CONFIG [train.py args]
#   GPUS=2 GPUS_PER_NODE=0 CPUS_PER_TASK=1 tools/slurm_submit.sh PARTITION ...  (no GPUs)
# Prints the job id and its log. GPUS, GPUS_PER_NODE, CPUS_PER_TASK, PYTHON
# and SRUN_ARGS as for slurm_train.sh; SBATCH_ARGS: more sbatch options
# (--time=24:00:00, --account=..., --output=DIR/%x-%j.out; default log:
# slurm-<job id>.out here). The job (tools/slurm_train_job.sh) is requeued
# and resumes when SLURM preempts or requeues it, and when its time limit
# is near.
set -euo pipefail
source "$(dirname "$0")/slurm_request.sh"
[ $# -ge 3 ] || fail "usage: $0 PARTITION JOB_NAME CONFIG [train.py args]"
PARTITION=$1
JOB_NAME=$2
shift 2
check_request "$PARTITION"
check_launch train.py "$@"
# shellcheck disable=SC2086  # SBATCH_ARGS holds several arguments
if ! submitted=$(sbatch --parsable -p "$PARTITION" --job-name="$JOB_NAME" \
        "${REQUEST[@]}" --export=ALL,FCN_TOOLS="$TOOLS" ${SBATCH_ARGS:-} \
        "$TOOLS/slurm_train_job.sh" "$PARTITION" "$JOB_NAME" "$@" 2>&1); then
    fail "sbatch refused the job: $(tail -n1 <<<"$submitted")"
fi
job=${submitted%%;*}
log=$(scontrol show job "$job" | sed -n 's/^ *StdOut=//p')
echo "submitted job $job: log $log (squeue -j $job; scancel $job stops it" \
    "after a checkpoint)"
