"""How ``tools/train.py`` / ``tools/test.py`` join a distributed launch on any
machine: torchrun (``--launcher pytorch``) or a SLURM job step
(``--launcher slurm``), with GPUs or without.

mmengine 0.10.7's launchers assume CUDA: both call ``torch.cuda.set_device``
(on a CPU-only torch: ``AttributeError ... _cuda_setDevice``) and wrap the
model with ``device_ids=[LOCAL_RANK]``; DDP refuses SyncBN on CPU. Without
CUDA the process group is started here, over gloo, from the same environment
mmengine's launcher reads (mmengine then keeps it: ``Runner.setup_env`` only
initialises a group that does not exist yet), and the model is wrapped with
``CPUDistributedDataParallel`` (plain BN, no device ids). With CUDA, mmengine
does it all, as in mmseg.

One addition on SLURM, with or without GPUs: unless ``MASTER_PORT`` is set,
the rendezvous port is derived from the job id (:func:`slurm_port`), so two
jobs sharing a node do not both take mmengine's fixed 29500.
"""
import os
import subprocess

from ..errors import UserInputError

# what mmengine's launchers read from the environment their job starts
LAUNCHER_ENVIRONMENT = {
    'slurm': ('SLURM_PROCID', 'a SLURM job step: srun ... or '
              'tools/slurm_train.sh / tools/slurm_test.sh'),
    'mpi': ('OMPI_COMM_WORLD_LOCAL_RANK', 'an Open MPI job: mpirun -n N ...'),
}
# mmengine's default rendezvous port, and the range job ports are drawn from
DEFAULT_PORT = 29500
SLURM_PORTS = range(20000, 30000)


def launcher_of(argv):
    """The ``--launcher`` value in ``argv`` (``None`` when not given)."""
    for i, arg in enumerate(argv):
        if arg.startswith('--launcher='):
            return arg.split('=', 1)[1]
        if arg == '--launcher' and i + 1 < len(argv):
            return argv[i + 1]
    return None


def without_launcher(argv):
    """``argv`` less its ``--launcher X`` / ``--launcher=X`` (the spellings
    :func:`launcher_of` reads)."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == '--launcher':
            skip = True
        elif not arg.startswith('--launcher='):
            kept.append(arg)
    return kept


def check_launcher(launcher):
    """``--launcher slurm``/``mpi`` outside such a job: one line (mmengine
    dies on a ``KeyError`` for the job's environment variable)."""
    if launcher in LAUNCHER_ENVIRONMENT:
        variable, how = LAUNCHER_ENVIRONMENT[launcher]
        if variable not in os.environ:
            raise UserInputError(
                f'--launcher {launcher}: this process is not part of {how} '
                f'({variable} is not set); start it that way, or leave '
                '--launcher out for one process')


def slurm_port(job_id):
    """The rendezvous port of SLURM job ``job_id``: the same on every node
    of the job, different for the jobs of one node (unless their ids differ
    by a multiple of 10,000)."""
    return SLURM_PORTS[int(job_id) % len(SLURM_PORTS)]


def first_slurm_host(node_list):
    """The first host of a SLURM node list (``node[1-4]`` style), as
    mmengine's launcher finds it: ``scontrol show hostnames``."""
    try:
        hosts = subprocess.run(['scontrol', 'show', 'hostnames', node_list],
                               capture_output=True, text=True, timeout=60)
    except OSError as exc:
        raise UserInputError(
            f'--launcher slurm: cannot run scontrol ({exc.strerror}) to find '
            f'the first host of {node_list}; put SLURM\'s client commands on '
            'PATH, or set MASTER_ADDR') from None
    names = hosts.stdout.split()
    if hosts.returncode or not names:
        raise UserInputError(
            f'--launcher slurm: scontrol show hostnames {node_list} failed '
            f'({hosts.stderr.strip() or "no host"}); set MASTER_ADDR')
    return names[0]


def slurm_environment():
    """Set torch's ``env://`` rendezvous variables for this SLURM task, as
    mmengine's ``_init_dist_slurm`` does (``MASTER_ADDR`` the job's first
    host, ranks from ``SLURM_PROCID``/``SLURM_NTASKS``/``SLURM_LOCALID``);
    ``MASTER_ADDR`` and ``MASTER_PORT`` already set are kept."""
    env = os.environ
    if 'MASTER_PORT' not in env:
        env['MASTER_PORT'] = str(slurm_port(env['SLURM_JOB_ID'])) \
            if 'SLURM_JOB_ID' in env else str(DEFAULT_PORT)
    if 'MASTER_ADDR' not in env:
        env['MASTER_ADDR'] = first_slurm_host(env['SLURM_NODELIST'])
    env['WORLD_SIZE'] = env['SLURM_NTASKS']
    env['RANK'] = env['SLURM_PROCID']
    env['LOCAL_RANK'] = env.get('SLURM_LOCALID', '0')


def distributed_options(argv):
    """Prepare a ``--launcher pytorch`` or ``slurm`` run; return ``argv``
    with the options it needs (none with CUDA, or without a launcher)."""
    launcher = launcher_of(argv)
    if launcher not in ('pytorch', 'slurm'):
        return list(argv)
    check_launcher(launcher)
    if launcher == 'slurm':
        slurm_environment()
    import torch
    if torch.cuda.is_available():
        return list(argv)
    import torch.distributed as dist
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')  # env:// (torchrun or above)
    return list(argv) + [
        '--cfg-options', 'model_wrapper_cfg.type=CPUDistributedDataParallel',
        'model_wrapper_cfg.broadcast_buffers=False'
    ]


def end_distributed():
    """Destroy the process group of a distributed run that has finished,
    while the interpreter is still whole (torch's documented shutdown;
    mmengine never does it). Left to interpreter shutdown, gloo's worker
    threads can still hold tensors, and a run that has trained, validated
    and saved dies with SIGABRT ("terminate called without an active
    exception"), which torchrun reports as a failure (pytorch#179291)."""
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
