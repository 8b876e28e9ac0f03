#!/usr/bin/env bash
#SBATCH --requeue
#SBATCH --signal=B:USR1@180
#SBATCH --open-mode=append
# The batch job tools/slurm_submit.sh submits: runs tools/slurm_train.sh
# PARTITION JOB_NAME CONFIG [args] as a step (--resume on), so every start
# of the job, the first or a requeued one, continues from the newest intact
# checkpoint.
# - scontrol requeue, the scheduler's preemption, scancel: SLURM sends
#   SIGTERM to every process of the job; every rank checkpoints the
#   iteration it is at and exits (SLURM's KillWait, 30 s by default, must
#   cover one iteration and a save); a requeued job then starts again.
# - The time limit: 180 s before it, SLURM sends USR1 to this script
#   (--signal above), which has SLURM pass SIGTERM to the training's tasks
#   and, once they have checkpointed, requeues the job.
set -uo pipefail
TOOLS=${FCN_TOOLS:-${SLURM_SUBMIT_DIR:-.}/tools}
if [ ! -x "$TOOLS/slurm_train.sh" ]; then
    echo "error: $TOOLS/slurm_train.sh not found: submit with" \
        "tools/slurm_submit.sh (it sets FCN_TOOLS)" >&2
    exit 1
fi
ended_by=  # what SLURM did to the job: TERM (cancel, requeue, preemption)
near_limit=
trap 'ended_by=TERM' TERM
job=${SLURM_JOB_ID:-?}
# SIGTERM to the training's tasks (srun itself would kill them at once)
trap 'near_limit=1; scancel --signal=TERM "$job"' USR1
echo "job $job start ${SLURM_RESTART_COUNT:-0} on ${SLURM_JOB_NODELIST:-?}" \
    "at $(date -Is): tools/slurm_train.sh $*"
"$TOOLS/slurm_train.sh" "$@" &
step=$!
# a trapped signal interrupts wait: wait until the step has ended, then
# take its status (bash keeps it)
while kill -0 "$step" 2>/dev/null; do wait "$step"; done
wait "$step"
code=$?
requeue=
if [ "$code" -eq 0 ]; then
    outcome="training finished"
elif [ -n "$near_limit" ] && [ -z "$ended_by" ]; then
    outcome="time limit near: checkpointed, requeued to resume"
    requeue=1
elif [ -n "$ended_by" ]; then
    outcome="ended by SLURM (SIGTERM: requeue, preemption or scancel); a"
    outcome+=" requeued job resumes from its checkpoint"
else
    outcome="training failed (the error is above)"
fi
echo "job $job end at $(date -Is) (exit $code): $outcome"
if [ -n "$requeue" ]; then  # SLURM ends this script with SIGTERM now
    scontrol requeue "$job" || echo "job $job: requeue refused; submit again"
fi
exit "$code"
