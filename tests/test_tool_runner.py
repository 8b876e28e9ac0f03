"""tests/tool_runner.py runs a script as a fresh ``python SCRIPT`` does:
compared, case by case, with a real interpreter."""
import os
import subprocess
import sys

import pytest
from tool_runner import run_python

SCRIPT = r'''
import atexit, os, subprocess, sys
import helper_module  # only on PYTHONPATH
print('argv', sys.argv[1:], 'cwd', os.getcwd(), 'env', os.environ['PROBE'])
print('path0', sys.path[0], 'main', __name__, 'file', os.path.basename(__file__))
print('to stderr', file=sys.stderr)
sys.stdout.flush()
subprocess.run(['echo', 'from a child process'])
atexit.register(print, 'atexit ran')
how = sys.argv[1]
if how == 'code':
    sys.exit(3)
if how == 'message':
    sys.exit('a message')
if how == 'raise':
    raise ValueError('uncaught')
if how == 'hook':
    sys.excepthook = lambda *exc: print('hooked', exc[1], file=sys.stderr)
    raise ValueError('uncaught')
'''


@pytest.mark.parametrize('how', ['end', 'code', 'message', 'raise', 'hook'])
def test_same_as_a_real_interpreter(tmp_path, how):
    (tmp_path / 'tool.py').write_text(SCRIPT)
    lib = tmp_path / 'lib'
    lib.mkdir()
    (lib / 'helper_module.py').write_text('')
    env = dict(os.environ, PROBE='probe value', PYTHONPATH=str(lib))
    args = [str(tmp_path / 'tool.py'), how, 'an arg']
    real = subprocess.run([sys.executable, *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    forked = run_python(args, cwd=tmp_path, env=env, timeout=60)
    assert forked.returncode == real.returncode
    assert forked.stdout == real.stdout
    last = [p.stderr.strip().splitlines()[-1] for p in (real, forked)]
    assert last[0] == last[1]
    assert forked.stderr.startswith('to stderr\n')


def test_timeout_kills_the_run(tmp_path):
    (tmp_path / 'hang.py').write_text('import time\ntime.sleep(600)\n')
    with pytest.raises(subprocess.TimeoutExpired):
        run_python([str(tmp_path / 'hang.py')], cwd=tmp_path,
                   env=dict(os.environ), timeout=2)
