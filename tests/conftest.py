"""Shared fixtures: synthetic datasets in the real layouts, tool runner,
the plugin installed from its wheel."""
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(REPO, 'tests'))
from tool_runner import run_python  # noqa: E402

# Small backbone + head that keep the row configs' structure (dilated ResNet,
# output stride 8, SimpleFCNHead) but train in seconds on a CPU.
TINY_MODEL = [
    'model.backbone.depth=18', 'model.backbone.base_channels=16',
    'model.backbone.stem_channels=16', 'model.decode_head.in_channels=128',
    'model.decode_head.channels=32', 'model.backbone.init_cfg=None'
]


def config(name):
    return osp.join(REPO, 'configs', name)


def run_tool(*args, check=True, timeout=900, env=None, cwd=REPO):
    """Run ``python tools/<args>`` (from the repo root); return the process
    (a fork of a preloaded interpreter: :mod:`tool_runner`)."""
    full_env = dict(os.environ, PYTHONUNBUFFERED='1', **(env or {}))
    proc = run_python(args, cwd=cwd, env=full_env, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f'{args} exited {proc.returncode}:\n'
                             f'{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}')
    return proc


def started_at_a_terminal(ignoring=()):
    """A ``preexec_fn``: the child starts with Ctrl-C's and hang-up's
    default actions, as a command typed at a terminal (a test runner started
    in the background or under ``nohup`` ignores them, and so, inherited
    through exec, would the tool), except those in ``ignoring`` (``nohup``
    starts its command ignoring SIGHUP)."""
    def start():
        for signum in (signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN if signum in ignoring
                          else signal.SIG_DFL)
    return start


def stand_in_slurm(folder, node='2|(null)', **more):
    """SLURM's commands as stand-ins in a new ``folder`` (for a PATH): srun
    prints what it gets, sinfo one kind of node (``node``: "CPUs|generic
    resources"), sbatch and scontrol do nothing; ``more``: other commands,
    by name, with their script text."""
    folder.mkdir()
    scripts = dict(srun='echo "srun $*"', sinfo=f'echo "{node}"', sbatch='',
                   scontrol='', **more)
    for name, text in scripts.items():
        (folder / name).write_text(f'#!/bin/sh\n{text}\n')
        (folder / name).chmod(0o755)
    return str(folder)


def data_root_options(root, splits=('train', 'val', 'test')):
    return [f'{s}_dataloader.dataset.data_root={root}' for s in splits]


@pytest.fixture(scope='session')
def voc_root(tmp_path_factory):
    from fcn_plugin.tooling.synthetic_data import make_voc_sample
    return make_voc_sample(str(tmp_path_factory.mktemp('voc')))


@pytest.fixture(scope='session')
def cityscapes_root(tmp_path_factory):
    from fcn_plugin.tooling.synthetic_data import make_cityscapes_sample
    return make_cityscapes_sample(str(tmp_path_factory.mktemp('cityscapes')))


@pytest.fixture(scope='session')
def tiny_checkpoint(tmp_path_factory, voc_root):
    """A checkpoint written by tools/train.py: 1 iteration of the tiny model."""
    work_dir = tmp_path_factory.mktemp('tiny_run')
    run_tool('tools/train.py', config('fcn_r101_voc_321_fp32.py'),
             '--work-dir', str(work_dir), '--cfg-options', *TINY_MODEL,
             *data_root_options(voc_root, ('train', 'val')),
             'train_cfg.max_iters=1', 'train_dataloader.batch_size=4',
             'train_dataloader.num_workers=0',
             'train_dataloader.persistent_workers=False',
             'val_dataloader.num_workers=0',
             'val_dataloader.persistent_workers=False')
    return str(work_dir / 'iter_1.pth')


@pytest.fixture(scope='session')
def wheel_venv(tmp_path_factory):
    """The plugin built as a wheel from a copy of the checkout (symbolic
    links kept, as git stores them) and installed, not editable, into a
    fresh venv. Its dependencies are this environment's (a line in a
    ``.pth`` file of the venv puts this site-packages after its own; the
    checkout's editable install there is not loaded: Python reads ``.pth``
    files in site folders only). Returns the venv's python."""
    import sysconfig
    tmp = tmp_path_factory.mktemp('wheel')
    src = tmp / 'src'
    shutil.copytree(REPO, src, symlinks=True, ignore=shutil.ignore_patterns(
        '.git', '.venv*', 'work_dirs', 'wheelhouse', '.ci-*', 'build',
        '*.egg-info', '__pycache__', 'data', 'checkpoints'))
    pip = [sys.executable, '-m', 'pip', '-q', '--disable-pip-version-check']
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull,
               PYTHONWARNINGS='ignore')
    subprocess.run([*pip, 'wheel', '--no-deps', '--no-build-isolation',
                    '--no-index', str(src), '-w', str(tmp / 'dist')],
                   check=True, env=env, cwd=tmp)
    wheel, = (tmp / 'dist').glob('fcn_plugin-*.whl')
    venv = tmp / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip',
                    str(venv)], check=True)
    python = venv / 'bin' / 'python'
    site = subprocess.run(
        [str(python), '-c', 'import sysconfig; '
         'print(sysconfig.get_paths()["purelib"])'], check=True,
        capture_output=True, text=True).stdout.strip()
    deps = sysconfig.get_paths()['purelib']
    with open(osp.join(site, 'dependencies.pth'), 'w') as f:
        f.write(deps + '\n')
    # setuptools' own .pth (its distutils for Python >= 3.12, which
    # mmengine's collect_env imports) is in the venv of a user whose pip
    # installed setuptools; a path named in a .pth has its .pth files unread.
    shim = osp.join(deps, 'distutils-precedence.pth')
    if osp.exists(shim):
        shutil.copy(shim, site)
    subprocess.run([*pip, 'install', '--no-deps', '--no-index', '--target',
                    site, str(wheel)], check=True, env=env)
    return python


@pytest.fixture(scope='session')
def wheel_site(wheel_venv):
    """The site-packages of :func:`wheel_venv` (the wheel's files)."""
    from pathlib import Path
    return Path(subprocess.run(
        [str(wheel_venv), '-c', 'import fcn_plugin, os; '
         'print(os.path.dirname(os.path.dirname(fcn_plugin.__file__)))'],
        cwd=wheel_venv.parent, check=True, capture_output=True, text=True).stdout.split()[-1])


@pytest.fixture(scope='session')
def slurm(tmp_path_factory):
    """A real SLURM cluster's client environment (``SLURM_CONF``): the one
    ``SLURM_CONF`` names (``.ci/run`` starts one with tests/slurm_cluster.py),
    else one started here for the session. Without Debian's slurm-wlm the
    tests skip, unless ``FCN_TESTS_SLURM=required`` (CI), which fails them;
    ``FCN_TESTS_SLURM=off`` skips them (CI's later legs: they ran in its
    first)."""
    import slurm_cluster
    if os.environ.get('FCN_TESTS_SLURM') == 'off':
        pytest.skip('FCN_TESTS_SLURM=off (CI runs them in its first leg)')
    if os.environ.get('SLURM_CONF'):
        yield {'SLURM_CONF': os.environ['SLURM_CONF']}
        return
    folder = str(tmp_path_factory.mktemp('slurm'))
    try:
        env = slurm_cluster.start(folder)
    except slurm_cluster.ClusterUnavailable as exc:
        if os.environ.get('FCN_TESTS_SLURM') == 'required':
            pytest.fail(f'FCN_TESTS_SLURM=required, but no SLURM: {exc}')
        pytest.skip(f'no SLURM cluster: {exc}')
    try:
        yield env
    finally:
        slurm_cluster.stop(folder)
