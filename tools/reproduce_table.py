#!/usr/bin/env python
"""Reproduce the reference's table: each row trained --runs times, each run's best checkpoint tested, average and best per row.

    python tools/reproduce_table.py                  # the 3 rows x 3 runs, work_dirs/table
    python tools/reproduce_table.py configs/fcn_r101_voc_321.py --runs 3 --work-root DIR
    python tools/reproduce_table.py --gpus 4 --cfg-options train_dataloader.batch_size=2
    GPUS=1 GPUS_PER_NODE=1 python tools/reproduce_table.py --slurm PARTITION

Run k of a row trains with seed --first-seed + k - 1 in DIR/<row>/run<k>
(tools/train.py, or tools/dist_train.sh with --gpus N); then its best
checkpoint is tested on the row's test split (Cityscapes rows also at full
resolution, with the row's _fullres_test config). DIR/table.md and
DIR/table.json hold each row's mIoU average and best beside the
reference's, and each run's seed, mIoU and training time.

With --slurm PARTITION every run is its own requeueable batch job
(tools/slurm_submit.sh; GPUS, GPUS_PER_NODE, CPUS_PER_TASK, SRUN_ARGS,
SBATCH_ARGS and PYTHON apply to every run, e.g. GPUS=1 GPUS_PER_NODE=0 on a
CPU partition); the tool waits for them, then tests through
tools/slurm_test.sh. Interrupted, it is simply run again: finished runs are
reused, interrupted ones resume, queued jobs are waited for, nothing is
trained twice. --cfg-options go to every run.
"""
import os
import os.path as osp
import signal
import subprocess
import sys
import time

from fcn_plugin.errors import Stopped, UserInputError
from fcn_plugin.tooling.arguments import ToolParser, whole_number
from fcn_plugin.tooling.cli import (check_cfg_option_items,
                                    check_user_options, user_errors)

TOOLS = osp.dirname(osp.abspath(__file__))
PROFILE_SHAPES = ((256, 512), (512, 1024), (1024, 2048))
SLURM_POLL_S = float(os.environ.get('FCN_SLURM_POLL_S', 5))
# lines of a training's or test's output shown on the console (all of it
# goes to the run's log)
SHOWN = ('Iter(train)', 'mIoU:', 'error:', 'stopped after', 'Saving checkpoint')


def build_parser():
    parser = ToolParser(description=__doc__.splitlines()[0])
    parser.add_input('configs', nargs='*', metavar='CONFIG', help='row '
                     'configs (paths, or row names like fcn_r101_voc_321); '
                     "default: the reference table's rows")
    parser.add_argument('--runs', type=whole_number(1), default=3,
                        help='trainings per row')
    parser.add_argument('--first-seed', type=whole_number(0), default=0,
                        help='run k trains with seed FIRST_SEED + k - 1')
    parser.add_output('--work-root', kind='folder', default='work_dirs/table',
                      help='runs in WORK_ROOT/<row>/run<k>; table.md, '
                      'table.json')
    parser.add_argument('--gpus', type=whole_number(1), default=1,
                        help='GPUs per run here (N > 1: tools/dist_train.sh)')
    parser.add_argument('--slurm', metavar='PARTITION',
                        help='train and test every run on this SLURM '
                        'partition (tools/slurm_submit.sh, slurm_test.sh)')
    parser.add_argument('--profile', action='store_true',
                        help="add the reference's profiling table: FLOPs, "
                        'params (get_flops.py) and FPS (benchmark.py) at '
                        f"{', '.join(f'{h}x{w}' for h, w in PROFILE_SHAPES)}")
    parser.add_argument('--profile-iters', type=whole_number(1), default=300,
                        help="timed forwards per FPS trial (the reference's "
                        '300, after 10 warm-up forwards, best of 3 trials; '
                        'fewer on a CPU)')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        metavar='KEY=VALUE', help='options for every run')
    return parser


def resolve_configs(names):
    """Paths of the configs asked for: files, or the table's row names."""
    from fcn_plugin.mim_configs import config_file
    from fcn_plugin.tooling.reference_table import table_rows
    rows = list(table_rows())
    if not names:
        return [config_file(row) for row in rows]
    paths = []
    for name in names:
        row = name if name.endswith('.py') else f'{name}.py'
        if osp.isfile(name):
            paths.append(name)
        elif osp.basename(row) in rows:
            paths.append(config_file(osp.basename(row)))
        else:
            raise UserInputError(
                f'no config {name}: give a config file, or a row of the '
                f"table: {', '.join(osp.splitext(r)[0] for r in rows)}")
    stems = [osp.basename(p) for p in paths]
    twice = {s for s in stems if stems.count(s) > 1}
    if twice:
        raise UserInputError(
            f'two configs named {twice.pop()}: a row is named after its '
            "config's file name; rename one")
    return paths


def full_resolution_config(config):
    """The row's ``<name>_fullres_test.py`` beside it, if it defines one."""
    path = f'{osp.splitext(config)[0]}_fullres_test.py'
    return path if osp.isfile(path) else None


def run_logged(cmd, log_path, env=None):
    """Run ``cmd``, its output appended to ``log_path`` and its progress
    lines shown; return ``(exit code, seconds, last error line, stop)``. A
    signal to this tool is passed to it and its end waited for (a training
    checkpoints); ``stop`` is then the exception to raise, else ``None``."""
    from fcn_plugin.tooling.table_runs import last_error
    os.makedirs(osp.dirname(log_path), exist_ok=True)
    start = time.monotonic()
    tail = []
    with open(log_path, 'a', encoding='utf-8') as log:
        log.write(f'$ {" ".join(cmd)}\n')
        log.flush()
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            errors='replace', env=dict(os.environ, PYTHONUNBUFFERED='1',
                                       PYTHON=sys.executable, **(env or {})))
        stopped = None
        while True:
            try:
                for line in proc.stdout:
                    log.write(line)
                    tail = (tail + [line])[-200:]
                    if any(mark in line for mark in SHOWN):
                        print(f'    {line.rstrip()}', flush=True)
                break
            except (Stopped, KeyboardInterrupt) as exc:
                stopped = exc  # the child stops at its next checkpoint
                proc.send_signal(getattr(exc, 'signum', signal.SIGINT))
        proc.wait()
    return (proc.returncode, time.monotonic() - start,
            last_error(''.join(tail)), stopped)


def _test_options(run, work_dir):
    """The options of a run's test: its work dir, the user's options."""
    options = ['--work-dir', work_dir]
    return options + ['--cfg-options', *run.cfg_options] if run.cfg_options \
        else options


class LocalRoute:
    """Runs trained and tested here, one after another."""

    def __init__(self, gpus):
        self.gpus = gpus

    def train(self, run):
        common = ['--work-dir', run.work_dir, '--resume', '--cfg-options',
                  *run.train_options()]
        cmd = [sys.executable, osp.join(TOOLS, 'train.py'), run.config,
               *common] if self.gpus == 1 else [
            'bash', osp.join(TOOLS, 'dist_train.sh'), run.config,
            str(self.gpus), *common]
        log = osp.join(run.work_dir, 'train.log')
        print(f'{run.name} (seed {run.seed}): training; log {log}',
              flush=True)
        run.save(status='training')  # the record first: the folder is ours
        code, seconds, error, stop = run_logged(cmd, log)
        run.add_train_seconds(seconds)
        if stop is not None:
            raise stop
        if code:
            run.save(status='failed', error=f'{log}: {error}')
            return False
        run.save(trained=True, status='trained')
        return True

    def test_command(self, run, config, checkpoint, work_dir):
        if self.gpus == 1:
            return [sys.executable, osp.join(TOOLS, 'test.py'), config,
                    checkpoint, *_test_options(run, work_dir)]
        return ['bash', osp.join(TOOLS, 'dist_test.sh'), config, checkpoint,
                str(self.gpus), *_test_options(run, work_dir)]


class SlurmRoute(LocalRoute):
    """Each run a requeueable batch job on ``partition``; tests by srun."""

    def __init__(self, partition):
        super().__init__(gpus=1)
        self.partition = partition

    def _queue(self, jobs):
        """``{job id: 'STATE (reason)'}`` of ``jobs`` still queued."""
        for attempt in range(5):
            out = subprocess.run(
                ['squeue', '-h', '-j', ','.join(jobs), '-o', '%i|%T|%r'],
                capture_output=True, text=True)
            if out.returncode == 0 or 'Invalid job id' in out.stderr:
                states = {}
                for line in out.stdout.split():
                    job, state, reason = line.split('|', 2)
                    states[job] = state if reason in ('None', '') else \
                        f'{state} ({reason})'
                return states
            time.sleep(SLURM_POLL_S)
        raise UserInputError(f'squeue fails: {out.stderr.strip()}; check '
                             'the SLURM cluster, then run this again')

    def submit(self, run):
        env = dict(os.environ, PYTHON=os.environ.get('PYTHON', sys.executable),
                   SBATCH_ARGS=f"{os.environ.get('SBATCH_ARGS', '')} "
                   f"--output={run.work_dir}/slurm-%j.out")
        run.save(status='submitting')  # the record first: the folder is ours
        out = subprocess.run(
            ['bash', osp.join(TOOLS, 'slurm_submit.sh'), self.partition,
             f'{run.row}-run{run.k}', run.config, '--work-dir', run.work_dir,
             '--cfg-options', *run.train_options()],
            capture_output=True, text=True, env=env)
        if out.returncode:
            raise UserInputError(
                (out.stderr.strip().splitlines() or ['sbatch failed'])[-1]
                .removeprefix('error: '))
        job = out.stdout.split('submitted job ')[1].split(':')[0]
        run.save(job_id=job, status='queued')
        print(f'{run.name} (seed {run.seed}): {out.stdout.strip()}',
              flush=True)

    def train_all(self, runs):
        """Submit the runs not trained and not queued; wait for them all;
        return those that failed."""
        queued = self._queue([r.record['job_id'] for r in runs
                              if r.record.get('job_id')]) if any(
            r.record.get('job_id') for r in runs) else {}
        for run in runs:
            job = run.record.get('job_id')
            if job in queued:
                print(f'{run.name}: job {job} already {queued[job]}; '
                      'waiting for it', flush=True)
            else:
                if job:  # a job that ended while this tool was away
                    self._ended(run)
                    if run.trained:
                        continue
                self.submit(run)
        waiting = {r.record['job_id']: r for r in runs if not r.trained}
        seen, failed = {}, []
        while waiting:
            states = self._queue(list(waiting))
            for job, run in list(waiting.items()):
                state = states.get(job)
                if state is None:
                    del waiting[job]
                    if not self._ended(run):
                        failed.append(run)
                elif seen.get(job) != state:
                    print(f'{run.name}: job {job} {state.lower()}'
                          + (' (requeued)' if seen.get(job, '').startswith(
                              'RUNNING') and state.startswith('PENDING')
                             else ''), flush=True)
                    seen[job] = state
            if waiting:
                time.sleep(SLURM_POLL_S)
        return failed

    def _ended(self, run):
        """Account for the run's job that has left the queue."""
        seconds, finished, error = run.job_outcome()
        job = run.record['job_id']
        run.add_train_seconds(seconds)
        jobs = run.record.get('jobs', []) + [job]
        if finished:
            run.save(trained=True, status='trained', job_id=None, jobs=jobs)
            print(f'{run.name}: job {job} finished, trained in '
                  f'{seconds:.0f} s', flush=True)
            return True
        log = run.job_log()  # named by the job id, which save clears
        run.save(status='failed', job_id=None, jobs=jobs,
                 error=f'{log}: {error}')
        print(f'{run.name}: job {job} failed; log {log}: {error}',
              flush=True)
        return False

    def test_command(self, run, config, checkpoint, work_dir):
        return ['bash', osp.join(TOOLS, 'slurm_test.sh'), self.partition,
                f'{run.row}-run{run.k}-test', config, checkpoint,
                *_test_options(run, work_dir)]


def score(route, run):
    """Test the run's checkpoint (again only if it changed); return whether
    it has an mIoU."""
    from fcn_plugin.tooling.table_runs import read_test_metrics
    checkpoint, kind = run.checkpoint()
    if checkpoint is None:
        run.save(status='failed', error=f'no checkpoint in {run.work_dir}')
        print(f'{run.name}: no checkpoint to test in {run.work_dir}')
        return False
    if run.record.get('checkpoint') == checkpoint and \
            run.record.get('miou') is not None:
        return True
    tests = [('miou', run.config, 'test')]
    full = full_resolution_config(run.config)
    if full:
        tests.append(('miou_full_resolution', full, 'test_full_resolution'))
    results = {}
    for key, config, folder in tests:
        work_dir = osp.join(run.work_dir, folder)
        log = osp.join(run.work_dir, f'{folder}.log')
        print(f'{run.name}: testing {osp.basename(checkpoint)} ({kind}) '
              f'with {osp.basename(config)}; log {log}', flush=True)
        since = time.time()
        code, _, error, stop = run_logged(
            route.test_command(run, config, checkpoint, work_dir), log)
        if stop is not None:
            raise stop
        metrics = None if code else read_test_metrics(work_dir, since)
        if metrics is None:
            run.save(status='failed', error=f'{log}: {error}')
            print(f'{run.name}: test failed; log {log}: {error}')
            return False
        results[key] = metrics['mIoU']
    run.save(checkpoint=checkpoint, checkpoint_kind=kind, status='scored',
             error=None, **results)
    print(f'{run.name}: mIoU {results["miou"]:.2f}' + (
        f' ({results["miou_full_resolution"]:.2f} at full resolution)'
        if full else ''), flush=True)
    return True


def profile(config, options, iters, work_root):
    """FLOPs/params (get_flops.py) and FPS (benchmark.py) at the reference's
    input sizes, as those tools measure them."""
    import json
    rows = []
    extra = ['--cfg-options', *options] if options else []
    for h, w in PROFILE_SHAPES:
        out = osp.join(work_root, 'profile', f'{h}x{w}')
        os.makedirs(out, exist_ok=True)
        results = {}
        for tool, json_path, more in (
                ('get_flops.py', f'{out}/flops.json', []),
                ('benchmark.py', f'{out}/fps.json',
                 ['--iters', str(iters), '--warmup', str(min(10, iters))])):
            print(f'profile {h}x{w}: {tool}', flush=True)
            code, _, error, stop = run_logged(
                [sys.executable, osp.join(TOOLS, 'analysis', tool), config,
                 '--shape', str(h), str(w), '--json', json_path, *more,
                 *extra], f'{out}/{tool}.log')
            if stop is not None:
                raise stop
            if code:
                raise UserInputError(f'{tool} at {h}x{w} failed: {error} '
                                     f'(log {out}/{tool}.log)')
            with open(json_path, encoding='utf-8') as f:
                results.update(json.load(f))
        rows.append({'shape': [h, w], 'flops_g': results['flops_g'],
                     'params_m': results['params_m'], 'fps': results['fps']})
    return {'model': osp.basename(config), 'device': results['device_name'],
            'rows': rows}


def main(argv=None):
    from fcn_plugin.tooling.table_report import row_summary, write_table
    from fcn_plugin.tooling.table_runs import TableRun
    args = build_parser().parse_args(argv)
    check_cfg_option_items(args.cfg_options)
    if any(o.startswith('randomness.seed=') for o in args.cfg_options):
        raise UserInputError('--cfg-options randomness.seed: each run has '
                             'its own seed (--first-seed + run - 1); leave '
                             'it out')
    if args.slurm and args.gpus != 1:
        raise UserInputError('--gpus is for runs here; with --slurm, GPUS '
                             '(and GPUS_PER_NODE) set the GPUs of each job')
    if osp.exists(args.work_root) and not osp.isdir(args.work_root):
        raise UserInputError(f'--work-root {args.work_root} is a file; give '
                             'a folder')
    configs = resolve_configs(args.configs)
    runs = {}
    for config in configs:  # every config loads, before anything runs
        check_user_options([config, *(['--cfg-options', *args.cfg_options]
                                      if args.cfg_options else [])],
                           training=True, splits=('train', 'val', 'test'))
        runs[config] = [TableRun(args.work_root, config, k,
                                 args.first_seed + k - 1, args.cfg_options)
                        for k in range(1, args.runs + 1)]
    every = [run for group in runs.values() for run in group]
    route = SlurmRoute(args.slurm) if args.slurm else LocalRoute(args.gpus)
    todo = [run for run in every if not run.trained]
    print(f'{len(every)} run(s): {len(every) - len(todo)} trained already, '
          f'{len(todo)} to train; work root {osp.abspath(args.work_root)}',
          flush=True)
    try:
        if args.slurm:
            route.train_all(todo)
        else:
            for run in todo:
                route.train(run)
        for run in every:
            if run.trained:
                score(route, run)
        table = {'work_root': osp.abspath(args.work_root), 'runs': args.runs,
                 'rows': [row_summary(c, group) for c, group in runs.items()]}
        if args.profile:
            table['profile'] = profile(configs[0], args.cfg_options,
                                       args.profile_iters, args.work_root)
    except (Stopped, KeyboardInterrupt) as exc:
        signum = getattr(exc, 'signum', signal.SIGINT)
        queued = ' (queued jobs keep running)' if args.slurm else ''
        print(f'error: {signal.Signals(signum).name}: stopped; a training '
              f'under way checkpointed{queued}. The same command continues '
              'the table.', file=sys.stderr)
        return 128 + signum
    for line in write_table(args.work_root, table):
        print(line)
    missing = [run for run in every if run.record.get('miou') is None]
    for run in missing:
        print(f'not in the table: {run.name}: '
              f'{run.record.get("error") or run.record.get("status")}',
              file=sys.stderr)
    if missing:
        print(f'error: {len(missing)} of {len(every)} run(s) not scored '
              '(above); the table holds the rest and says so. Run the same '
              'command again after fixing the cause.', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    with user_errors():
        sys.exit(main())
