"""No host wait for the device between logging iterations.

On a GPU each read of a tensor's value by the host (``.item()``,
``.tolist()``, ``.cpu()``, ``bool(tensor)``, ...) waits for every queued
kernel. Counted here on the CPU, in ``tools/train.py`` runs of the rows as
configured (tiny model): none in an iteration that writes no log line, in
the plugin's hooks or in mmseg's loss, mmengine's message hub or anything
else; the logging iterations read the values they print. The same run with
mmengine's ``RuntimeInfoHook`` shows the counter counts what mmengine does.
"""
import json

import pytest
from mmengine.config import Config
from conftest import REPO, TINY_MODEL, config, data_root_options, run_tool

INTERVAL = 4


def _reads_per_iteration(tmp_path, voc_root, row, *extra):
    cfg = tmp_path / 'counted.py'
    hooks = [*Config.fromfile(config(row)).custom_hooks,
             dict(type='HostReadCounter')]  # the row's, then the counter
    cfg.write_text(
        f'_base_ = {config(row)!r}\n'
        "custom_imports = dict(imports=['fcn_plugin', "
        "'test_only_components'])\n"
        f'custom_hooks = {[dict(h) for h in hooks]!r}\n')
    reads = tmp_path / 'reads.json'
    run_tool('tools/train.py', str(cfg), '--work-dir', str(tmp_path / 'wd'),
             '--cfg-options', *TINY_MODEL,
             *data_root_options(voc_root, ('train', 'val')),
             'train_cfg.max_iters=12', 'train_cfg.val_begin=13',
             'train_dataloader.batch_size=2', 'train_dataloader.num_workers=1',
             f'default_hooks.logger.interval={INTERVAL}',
             'default_hooks.checkpoint.interval=100', *extra,
             env={'PYTHONPATH': f'{REPO}/tests', 'HOST_READS': str(reads)})
    return {int(k): v for k, v in json.loads(reads.read_text()).items()}


@pytest.mark.parametrize('row', ['fcn_r101_voc_321_fp32.py',
                                 'fcn_r101_voc_321.py'])
def test_no_host_reads_between_logging_iterations(tmp_path, voc_root, row):
    reads = _reads_per_iteration(tmp_path, voc_root, row)
    assert sorted(reads) == list(range(1, 13))
    quiet = {i: n for i, n in reads.items() if i % INTERVAL}
    assert all(n == 0 for n in quiet.values()), reads
    assert all(reads[i] > 0 for i in range(INTERVAL, 13, INTERVAL)), reads


def test_the_counter_sees_mmengines_per_iteration_reads(tmp_path, voc_root):
    reads = _reads_per_iteration(
        tmp_path, voc_root, 'fcn_r101_voc_321_fp32.py',
        'default_hooks.runtime_info.type=RuntimeInfoHook')
    # mmengine's message hub reads loss, decode.loss_ce, decode.acc_seg
    assert all(reads[i] >= 3 for i in range(1, 13) if i % INTERVAL), reads
