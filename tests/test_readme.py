"""The README's Python code runs as written on a CPU machine."""
import os
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from conftest import REPO

from fcn_plugin.tooling.builder import build_segmentor, load_config


def python_blocks():
    text = open(os.path.join(REPO, 'README.md'), encoding='utf-8').read()
    return re.findall(r'```python\n(.*?)```', text, re.S)


def test_readme_has_python_blocks():
    assert python_blocks()


@pytest.mark.slow
@pytest.mark.parametrize('index', range(len(python_blocks())))
def test_readme_python_block_runs(tmp_path, index):
    """In a folder holding what the block names: the configs, a VOC row
    checkpoint (random weights, mmseg format) and a photo."""
    os.symlink(os.path.join(REPO, 'configs'), tmp_path / 'configs')
    (tmp_path / 'checkpoints').mkdir()
    model = build_segmentor(load_config(
        os.path.join(REPO, 'configs', 'fcn_r101_voc_321.py')))
    torch.save({'meta': {}, 'state_dict': model.state_dict()},
               tmp_path / 'checkpoints' / 'fcn_voc_mmseg.pth')
    rng = np.random.default_rng(0)
    cv2.imwrite(str(tmp_path / 'photo.jpg'),
                rng.integers(0, 255, (120, 160, 3), dtype=np.uint8))
    proc = subprocess.run([sys.executable, '-c', python_blocks()[index]],
                          cwd=tmp_path, capture_output=True, text=True,
                          timeout=600, env=dict(os.environ,
                                                CUDA_VISIBLE_DEVICES=''))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'torch.Size([1, 120, 160])' in proc.stdout
    assert (tmp_path / 'out' / 'vis' / 'photo.jpg').exists()
