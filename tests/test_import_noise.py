"""Importing the plugin prints nothing, on either stack (the onedl fork's
mmseg and mmpretrain print 'Could not import OneDL' three times when their
datasets are imported first outside the plugin)."""
import subprocess
import sys

import pytest

from fcn_plugin.import_noise import CHECKPOINT_NOISE, without_import_noise


def test_import_prints_nothing():
    proc = subprocess.run(
        [sys.executable, '-c', 'import fcn_plugin, mmseg.models, mmseg.apis'],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout == ''
    assert 'OneDL' not in proc.stderr


def test_only_the_noise_is_dropped(capsys):
    with without_import_noise():
        print('Could not import OneDL')
        print('a line a user needs')
        print('Could not import OneDL, really')
    assert capsys.readouterr().out == ('a line a user needs\n'
                                       'Could not import OneDL, really\n')
    with pytest.raises(ImportError):
        with without_import_noise():
            print('said before the failure')
            raise ImportError('boom')
    assert capsys.readouterr().out == 'said before the failure\n'


def test_checkpoint_loading_line_is_dropped(capsys, tiny_checkpoint):
    """mmengine's raw 'Loads checkpoint by ...' print, from its own loader."""
    from mmengine.runner.checkpoint import _load_checkpoint
    with without_import_noise(CHECKPOINT_NOISE):
        _load_checkpoint(tiny_checkpoint, map_location='cpu')
        print('Loads checkpoint by hand')
    assert capsys.readouterr().out == 'Loads checkpoint by hand\n'
    _load_checkpoint(tiny_checkpoint, map_location='cpu')
    assert capsys.readouterr().out.startswith('Loads checkpoint by ')
