"""One training per work dir (one inference per output folder): a lock that
a crashed run cannot leave stuck.

Two trainings started in the same work dir both run and overwrite each
other's checkpoints and ``last_checkpoint``. The training runner takes an
exclusive ``flock`` on ``<work_dir>/.train.lock`` for its whole life and
writes its pid, host and command into it; the kernel releases the lock when
the process ends in any way (kill -9 included), so a stale file never
blocks. Forked children (DataLoader workers) close their copy at once: a
lock is released only when every copy is closed, and the workers of a
killed run live on for up to 5 s (torch's parent check), which would refuse
a resume started at once. A second training finds the lock held and stops
with one line naming the running one.
"""
import fcntl
import os
import os.path as osp
import socket
import sys
import time

from ..errors import UserInputError

LOCK_NAME = '.train.lock'
# the variable that holds a process's rank before mmengine's init_dist reads
# it (mmengine.dist.utils), per launcher
RANK_VARIABLE = {'pytorch': 'RANK', 'slurm': 'SLURM_PROCID',
                 'mpi': 'OMPI_COMM_WORLD_RANK'}


def launch_rank(launcher):
    """This process's rank in the job ``launcher`` started, read as mmengine
    will read it (0 for ``'none'``): known before the process group is."""
    variable = RANK_VARIABLE.get(launcher)
    return int(os.environ.get(variable, 0)) if variable else 0


def lock_work_dir(work_dir):
    """Hold the work dir's training lock; return the open lock file (keep a
    reference for the process's life) or raise :class:`UserInputError`."""
    return lock_folder(work_dir, LOCK_NAME, 'training', '--work-dir')


def lock_folder(folder, lock_name, task, option):
    """Hold ``<folder>/<lock_name>`` for this process's life, for a ``task``
    (e.g. ``'training'``) given ``folder`` through ``option``; a second
    holder gets one line naming the first."""
    os.makedirs(folder, exist_ok=True)
    path = osp.join(folder, lock_name)
    handle = open(path, 'a+')
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or 'another process'
        handle.close()
        raise UserInputError(
            f'{option} {folder} is in use by another {task} ({holder}): '
            f'wait for it to end, or give this run another {option}.'
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f'pid {os.getpid()} on {socket.gethostname()} since '
                 f'{time.strftime("%Y-%m-%d %H:%M:%S")}: '
                 f'{" ".join(sys.argv)}\n')
    handle.flush()
    os.register_at_fork(after_in_child=handle.close)
    return handle
