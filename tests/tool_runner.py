"""Run ``python TOOL ARGS`` for the tests without paying the imports each time.

Every tool starts with ``import fcn_plugin``: torch, mmengine, mmseg and
mmcv, about 6 s of CPU on the 2-core CI machine, in each of the suite's tool
runs (the whole suite: 1383 s on 2 cores with a fresh interpreter per run,
1013 s with this; 2026-12-01). Here a ``multiprocessing`` fork server
imports ``fcn_plugin`` once per test process, and each run is a fork of it
that does what the interpreter does with a script: its own ``sys.argv``,
``sys.path`` (the script's folder, ``PYTHONPATH``, then a fresh
interpreter's path), working directory, environment, stdout and stderr (fds
1 and 2, so its own subprocesses write there too), the script run as
``__main__``; then the exit the interpreter makes: ``sys.exit``'s code,
``sys.excepthook`` and code 1 for an uncaught exception, the ``atexit``
handlers. Nothing of the tool is pre-run: only modules every tool imports
first are already in ``sys.modules``.

What start-up itself does is tested with real processes: the import-time
environment check, signals to a process or its group, the shell scripts,
the README's snippets and ``make demo``; ``FCN_TESTS_REAL_PROCESSES=1``
(``make smoke`` sets it) runs every tool that way.
"""
import atexit
import json
import multiprocessing
import os
import runpy
import subprocess
import sys
import tempfile

PRELOAD = ['fcn_plugin']
_context = None


def _fresh_sys_path():
    """``sys.path`` of ``python -c ...``, without the test runner's entries."""
    out = subprocess.run(
        [sys.executable, '-c', 'import json, sys; print(json.dumps(sys.path))'],
        env={k: v for k, v in os.environ.items() if k != 'PYTHONPATH'},
        capture_output=True, text=True, check=True).stdout
    return json.loads(out)[1:]


def _exit_code(code):
    """What the interpreter exits with for ``sys.exit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _run_script(argv, cwd, env, base_path, out_path, err_path):
    """Body of one forked run (see the module docstring)."""
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    for fd, path in ((1, out_path), (2, err_path)):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(target, fd)
        os.close(target)
    sys.stdout = open(1, 'w', buffering=1, closefd=False)
    sys.stderr = open(2, 'w', buffering=1, closefd=False)
    extra = [p for p in env.get('PYTHONPATH', '').split(os.pathsep) if p]
    script = os.path.abspath(argv[0])
    sys.path[:] = [os.path.dirname(script), *extra, *base_path]
    sys.argv = list(argv)
    multiprocessing.set_start_method(None, force=True)  # as never chosen
    try:
        runpy.run_path(script, run_name='__main__')
        code = 0
    except SystemExit as stop:
        code = _exit_code(stop.code)
    except BaseException:  # noqa: BLE001 - what the interpreter does
        sys.excepthook(*sys.exc_info())
        code = 1
    try:
        atexit._run_exitfuncs()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _forkserver():
    global _context
    if _context is None:
        _context = multiprocessing.get_context('forkserver')
        _context.set_forkserver_preload(PRELOAD)
        _context.base_path = _fresh_sys_path()
    return _context


def run_python(args, cwd, env, timeout):
    """``subprocess.run([sys.executable, *args], ...)`` with captured text
    output; a script runs in a fork of the preloaded process."""
    if (args[0].startswith('-') or os.environ.get('FCN_TESTS_REAL_PROCESSES')
            or 'forkserver' not in multiprocessing.get_all_start_methods()):
        return subprocess.run([sys.executable, *args], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=timeout)
    context = _forkserver()
    with tempfile.TemporaryDirectory() as tmp:
        out, err = os.path.join(tmp, 'out'), os.path.join(tmp, 'err')
        child = context.Process(target=_run_script, args=(
            list(args), str(cwd), dict(env), context.base_path, out, err))
        child.start()
        child.join(timeout)
        if child.exitcode is None:
            child.kill()
            child.join()
            raise subprocess.TimeoutExpired([sys.executable, *args], timeout)

        def read(path):
            with open(path, encoding='utf-8', errors='replace') as f:
                return f.read()

        return subprocess.CompletedProcess(
            [sys.executable, *args], child.exitcode, read(out), read(err))
