#!/usr/bin/env python
"""A real single-node SLURM cluster on this machine, for the tests and by hand.

Debian's ``slurm-wlm`` (``apt-get install slurm-wlm``; 22.05 on Debian 12):
``munged`` with its own key and socket, ``slurmctld`` and ``slurmd`` on free
ports of their own, configuration, state, spool and logs in one folder (munged's socket in
a folder of its own under the temp folder: munged wants every folder above
it open to all), nothing of the system's (``/etc/slurm``, ``/run/munge``)
used or changed::

    python tests/slurm_cluster.py start /tmp/fcn-slurm   # prints the export
    export SLURM_CONF=/tmp/fcn-slurm/slurm.conf
    sinfo; GPUS=2 GPUS_PER_NODE=0 CPUS_PER_TASK=1 tools/slurm_train.sh debug ...
    python tests/slurm_cluster.py stop /tmp/fcn-slurm    # jobs, then daemons

One partition, ``debug``, holds this machine as one node with its CPUs and
no GPUs. ``stop`` cancels the cluster's jobs, waits for them to end, then
stops the three daemons by the pids ``start`` recorded (``DIR/pids.json``).
The daemons run as root (slurmd starts each job as its user). Two settings
differ from SLURM's defaults, both real ``slurm.conf`` options: a requeued
job may start again after 5 s instead of 120 s (``cred_expire``, which
SLURM also uses as that hold), and ``MinJobAge`` keeps a finished job in
``scontrol show job`` for 600 s (a test reads its restart count).
"""
import argparse
import json
import os
import os.path as osp
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

DAEMONS = ('munged', 'slurmctld', 'slurmd')
PARTITION = 'debug'


class ClusterUnavailable(RuntimeError):
    """SLURM's daemons are not installed here, or this is not root."""


class ClusterFailed(RuntimeError):
    """The cluster did not come up (its logs say why)."""


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _config(folder, socket_dir, node, cpus):
    ports = _free_port(), _free_port()
    return f"""\
# written by tests/slurm_cluster.py: a single-node cluster in {folder}
ClusterName=fcntest
SlurmctldHost={node}(127.0.0.1)
SlurmctldPort={ports[0]}
SlurmdPort={ports[1]}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={socket_dir}/munge.socket,cred_expire=5
CredType=cred/munge
StateSaveLocation={folder}/state
SlurmdSpoolDir={folder}/spool
SlurmctldPidFile={folder}/run/slurmctld.pid
SlurmdPidFile={folder}/run/slurmd.pid
SlurmctldLogFile={folder}/log/slurmctld.log
SlurmdLogFile={folder}/log/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
MinJobAge=600
KillWait=30
NodeName={node} NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN
PartitionName={PARTITION} Nodes={node} Default=YES MaxTime=INFINITE State=UP
"""


def _wait(what, check, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise ClusterFailed(f'{what} did not happen within {timeout} s')


def environment(folder):
    """The environment a SLURM client needs for the cluster in ``folder``."""
    return {'SLURM_CONF': osp.join(folder, 'slurm.conf')}


def start(folder):
    """Start the cluster in ``folder`` (made if missing); return
    :func:`environment`. Raises :class:`ClusterUnavailable` when SLURM is
    not installed or this is not root."""
    missing = [d for d in DAEMONS if not shutil.which(
        d, path=os.environ.get('PATH', '') + ':/usr/sbin:/sbin')]
    if missing:
        raise ClusterUnavailable(
            f'{", ".join(missing)} not installed: apt-get install slurm-wlm')
    if os.geteuid() != 0:
        raise ClusterUnavailable('slurmd must run as root to start jobs')
    folder = osp.abspath(folder)
    if osp.exists(osp.join(folder, 'pids.json')):
        raise ClusterUnavailable(f'a cluster is recorded in {folder}: '
                                 f'stop it first (stop {folder})')
    for sub in ('run', 'state', 'spool', 'log'):
        os.makedirs(osp.join(folder, sub), exist_ok=True)
    # munged's socket folder and all above it must be open to everyone
    # (pytest's tmp_path is not): a folder of its own in the temp folder
    sockets = tempfile.mkdtemp(prefix='fcn-munge-')
    os.chmod(sockets, 0o755)
    key = osp.join(folder, 'munge.key')
    with open(os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
              'wb') as f:
        f.write(os.urandom(1024))
    conf = osp.join(folder, 'slurm.conf')
    with open(conf, 'w') as f:
        f.write(_config(folder, sockets, socket.gethostname().split('.')[0],
                        os.cpu_count()))
    sbin = '/usr/sbin'
    commands = {
        'munged': [f'{sbin}/munged', '-F', f'--key-file={key}',
                   f'--socket={sockets}/munge.socket',
                   f'--pid-file={sockets}/munged.pid',
                   f'--seed-file={sockets}/munged.seed',
                   f'--log-file={folder}/log/munged.log'],
        'slurmctld': [f'{sbin}/slurmctld', '-D', '-f', conf],
        'slurmd': [f'{sbin}/slurmd', '-D', '-f', conf],
    }
    pids = {'sockets': sockets}
    env = dict(os.environ, **environment(folder))
    try:
        for name in DAEMONS:
            with open(osp.join(folder, 'log', f'{name}.out'), 'w') as out:
                pids[name] = subprocess.Popen(
                    commands[name], stdout=out, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL, env=env,
                    start_new_session=True).pid
            with open(osp.join(folder, 'pids.json'), 'w') as f:
                json.dump(pids, f)
            if name == 'munged':
                _wait(f'munged socket (see {folder}/log/munged.out)',
                      lambda: osp.exists(f'{sockets}/munge.socket'), 30)
        _wait(f'the node idle in sinfo (see {folder}/log)', lambda: subprocess.run(
            ['sinfo', '-h', '-o', '%T'], env=env, capture_output=True,
            text=True).stdout.strip() == 'idle', 60)
    except BaseException:
        stop(folder)
        raise
    return environment(folder)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    # a zombie is not alive; our children are reaped below
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().split(') ')[-1][0] != 'Z'
    except OSError:
        return False


def stop(folder):
    """Cancel the cluster's jobs, wait for them to end, then stop its
    daemons by their recorded pids (SIGTERM, then SIGKILL after 15 s)."""
    folder = osp.abspath(folder)
    record = osp.join(folder, 'pids.json')
    if not osp.exists(record):
        return
    with open(record) as f:
        pids = json.load(f)
    env = dict(os.environ, **environment(folder))
    if _alive(pids.get('slurmctld', 0)) and _alive(pids.get('slurmd', 0)):
        subprocess.run(['scancel', '--full', '--user', 'root'], env=env,
                       capture_output=True, timeout=60)
        try:  # squeue lists the jobs not yet ended
            _wait('the jobs ending', lambda: not subprocess.run(
                ['squeue', '-h'], env=env, capture_output=True, text=True,
                timeout=60).stdout.strip(), 60)
        except ClusterFailed:
            pass  # the daemons are stopped anyway
    for name in reversed(DAEMONS):
        pid = pids.get(name)
        if pid is None or not _alive(pid):
            continue
        os.kill(pid, signal.SIGTERM)
        try:
            _wait(f'{name} ({pid}) stopping', lambda p=pid: not _alive(p), 15)
        except ClusterFailed:
            os.kill(pid, signal.SIGKILL)
        try:
            os.waitpid(pid, os.WNOHANG)  # ours when started by this process
        except ChildProcessError:
            pass
    shutil.rmtree(pids.get('sockets', ''), ignore_errors=True)
    os.remove(record)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('action', choices=['start', 'stop'])
    parser.add_argument('folder', help='config, state and logs go here')
    args = parser.parse_args(argv)
    try:
        if args.action == 'start':
            env = start(args.folder)
            print(f'SLURM cluster up (partition {PARTITION}); for its '
                  f'clients: export SLURM_CONF={env["SLURM_CONF"]}')
        else:
            stop(args.folder)
            print(f'SLURM cluster in {args.folder} stopped')
    except (ClusterUnavailable, ClusterFailed) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
