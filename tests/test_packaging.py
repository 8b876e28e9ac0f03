"""Installed like an OpenMMLab package: a wheel carries the configs in mim's
layout, and from an empty folder, with the repo out of reach, the rows are
``fcn_plugin::`` references (mmengine's own resolver), a user config
inherits one and builds; the metafile in mmseg's model-index format lists
the reference's rows."""
import os
import re
import runpy
import subprocess
import sys
import textwrap

import pytest

from conftest import REPO, run_tool

import fcn_plugin
from fcn_plugin.tooling.builder import load_config

# the reference's table (seed spec): mIoU avg and best, train crop, precision
REFERENCE_ROWS = {
    'fcn_r101_voc_321': ((70.72, 70.83), '321x321', 'mixed'),
    'fcn_r101_voc_321_fp32': ((70.91, 71.55), '321x321', 'fp32'),
    'fcn_r101_cityscapes_256x512': ((68.05, 68.20), '256x512', 'mixed'),
}
USER_SCRIPT = textwrap.dedent('''
    import os, sys
    import fcn_plugin  # and nothing else registers anything
    from mmengine.config import Config
    from mmengine.hub import get_config
    from mmengine.registry import MODELS as MMENGINE_MODELS
    from mmseg.apis import MMSegInferencer, init_model
    from mmseg.registry import MODELS
    here = os.getcwd()
    assert fcn_plugin.__file__.startswith(sys.argv[1]), fcn_plugin.__file__
    row = get_config('fcn_plugin::fcn/fcn_r101_voc_321.py')
    assert row.model.decode_head.num_classes == 21, row.model
    row.model.backbone.init_cfg = None  # no ImageNet file here
    for registry in (MODELS, MMENGINE_MODELS):
        model = registry.build(row.model)
        assert type(model).__name__ == 'CheckedEncoderDecoder'
    assert type(init_model(row, device='cpu')).__name__ == \
        'CheckedEncoderDecoder'
    MMSegInferencer(model=row, device='cpu')
    path = fcn_plugin.config_file('fcn_r101_cityscapes_256x512.py')
    assert path.startswith(sys.argv[1]) and os.path.isfile(path)
    assert Config.fromfile(path).crop_size == (256, 512)
    with open('my_fcn.py', 'w') as f:
        f.write("_base_ = ['fcn_plugin::fcn/fcn_r101_voc_321.py']\\n"
                "model = dict(decode_head=dict(num_classes=5))\\n")
    cfg = Config.fromfile('my_fcn.py')
    assert cfg.model.decode_head.num_classes == 5
    assert cfg.crop_size == (321, 321)  # the rest is the row's
    assert cfg.optim_wrapper.type == 'MixedPrecisionOptimWrapper'
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'CheckedEncoderDecoder'
    assert model.decode_head.conv_seg.out_channels == 5
    from fcn_plugin.errors import describe_error
    with open('typo.py', 'w') as f:
        f.write("_base_ = ['fcn_plugin::fcn/fcn_r101_voc_32.py']\\n")
    for load in (lambda: get_config('fcn_plugin::fcn/fcn_r101_voc_32.py'),
                 lambda: Config.fromfile('typo.py')):
        try:
            load()
        except FileNotFoundError as exc:
            line = describe_error(exc)
        assert ('fcn_r101_voc_32.py" does not exist (no such row config; '
                'the rows: fcn_plugin::fcn/fcn_r101_cityscapes_256x512.py, '
                in line and 'fcn_plugin::fcn/fcn_r101_voc_321.py' in line), line
    assert sorted(os.listdir(here)) == ['my_fcn.py', 'typo.py']
    print('fcn_plugin:: from', os.path.dirname(fcn_plugin.__file__))
''')


def test_wheel_rows_are_fcn_plugin_references_from_an_empty_folder(
        tmp_path, wheel_venv, wheel_site):
    assert (wheel_site / 'fcn_plugin/.mim/configs/fcn/fcn_r101_voc_321.py'
            ).is_file()
    assert not (wheel_site / 'fcn_plugin/.mim/configs/fcn').is_symlink()
    empty = tmp_path / 'empty'
    empty.mkdir()
    proc = subprocess.run([str(wheel_venv), '-c', USER_SCRIPT,
                           str(wheel_site)], cwd=empty, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f'fcn_plugin:: from {wheel_site}' in proc.stdout
    assert 'pkg_resources is deprecated' not in proc.stderr


def test_wheel_configs_are_the_repo_configs(wheel_site):
    """Built from configs/, never kept twice."""
    packaged = wheel_site / 'fcn_plugin/.mim/configs/fcn'
    repo = os.path.join(REPO, 'configs')
    names = sorted(os.path.relpath(os.path.join(d, f), repo)
                   for d, _, files in os.walk(repo) for f in files
                   if f.endswith(('.py', '.yaml')))
    assert len(names) >= 10
    for name in names:
        with open(os.path.join(repo, name), 'rb') as f:
            assert (packaged / name).read_bytes() == f.read(), name
    # the checkout reads the same files through its links
    assert os.path.realpath(fcn_plugin.config_file('fcn_r101_voc_321.py')) \
        == os.path.join(REPO, 'configs', 'fcn_r101_voc_321.py')
    # and its tools, for mim train/test/run
    for name in ('train.py', 'test.py', 'infer.py', 'analysis/get_flops.py'):
        with open(os.path.join(REPO, 'tools', name), 'rb') as f:
            assert (wheel_site / 'fcn_plugin/.mim/tools' / name
                    ).read_bytes() == f.read(), name
    # mim finds a config or a tool by its file name alone: no name twice
    names = [f for _, _, files in os.walk(wheel_site / 'fcn_plugin/.mim')
             for f in files if f.endswith('.py')]
    assert len(names) == len(set(names)) and len(names) > 20, names


def test_metafile_lists_the_rows_in_model_index_format():
    count_flops = runpy.run_path(os.path.join(
        REPO, 'tools', 'analysis', 'get_flops.py'))['count']
    import modelindex  # mmpretrain's dependency, upstream and onedl alike
    index = modelindex.load(os.path.join(REPO, 'model-index.yml'))
    models = {m.name: m for m in index.models}
    assert set(models) == set(REFERENCE_ROWS)
    for name, (miou, crop, precision) in REFERENCE_ROWS.items():
        model = models[name]
        result, = model.results
        assert result.metrics == {'mIoU': miou[0], 'mIoU best of 3': miou[1]}
        meta = model.metadata.data
        assert meta['Results Source'].startswith('the reference')
        assert meta['Training Resolution (HxW)'] == crop
        assert meta['Precision'].startswith(precision)
        cfg = load_config(os.path.join(REPO, model.config))
        assert f'{cfg.crop_size[0]}x{cfg.crop_size[1]}' == crop
        # tools/analysis/get_flops.py's counter (= the reference's 216.42 G
        # at 256x512: test_model), at the row's training crop
        macs, params, _ = count_flops(cfg, *cfg.crop_size)
        assert meta['FLOPs (G)'] == round(2 * macs / 1e9, 2), name
        assert meta['Parameters (M)'] == round(params / 1e6, 2), name


def test_fcn_plugin_reference_that_cannot_resolve_is_one_line(tmp_path):
    """tools/train.py on a config inheriting a row that does not exist, in
    this checkout's own (editable) install: one line naming the rows."""
    (tmp_path / 'typo.py').write_text(
        "_base_ = ['fcn_plugin::fcn/fcn_r101_voc_32.py']\n")
    proc = run_tool('tools/train.py', str(tmp_path / 'typo.py'), check=False)
    errors = [line for line in proc.stderr.splitlines()
              if line.startswith('error: ')]
    assert proc.returncode == 1 and len(errors) == 1, proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr
    assert 'no such row config; the rows: fcn_plugin::fcn/' in errors[0]


def test_a_missing_config_path_names_the_rows_and_the_nearest():
    """The design card's path, as an older checkout spelt it."""
    proc = run_tool('tools/train.py', 'configs/fcn/fcn_r101_voc_321.py',
                    '--amp', check=False)
    assert proc.returncode == 1 and 'Traceback' not in proc.stderr
    line, = proc.stderr.strip().splitlines()
    assert line.startswith('error: config file configs/fcn/fcn_r101_voc_321'
                           '.py does not exist; the nearest row is '
                           'configs/fcn_r101_voc_321.py'), line
    for row in fcn_plugin.mim_configs.row_names():
        assert f'configs/{row}' in line


def test_editable_install_resolves_fcn_plugin_references(tmp_path):
    """The README's install (make install: editable) resolves the rows from
    the checkout, where Python imports the plugin from."""
    (tmp_path / 'my_fcn.py').write_text(
        "_base_ = ['fcn_plugin::fcn/fcn_r101_voc_321.py']\n"
        "model = dict(decode_head=dict(num_classes=5))\n")
    proc = subprocess.run(
        [sys.executable, '-c', 'import fcn_plugin; '
         'from mmengine.config import Config; '
         'c = Config.fromfile("my_fcn.py"); '
         'print(c.model.decode_head.num_classes, c.crop_size)'],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split('\n')[-2] == '5 (321, 321)'
    assert 'pkg_resources is deprecated' not in proc.stderr


def _mim(python, *args, cwd, columns=None):
    env = dict(os.environ, PYTHONUNBUFFERED='1', CUDA_VISIBLE_DEVICES='')
    if columns:
        env['COLUMNS'] = str(columns)
    return subprocess.run([str(python), '-m', 'mim', *args], cwd=cwd,
                          env=env, capture_output=True, text=True,
                          timeout=900, stdin=subprocess.DEVNULL)


@pytest.mark.slow
def test_user_config_trains_resumes_tests_and_infers_from_a_wheel_by_mim(
        tmp_path, wheel_venv, voc_root):
    """The README's wheel route, as a user runs it: a fresh venv with the
    wheel, an empty folder, a config of their own inheriting a row, and
    mim's train / train --resume / test / run (the wheel's .mim/tools)."""
    work = tmp_path / 'mine'
    work.mkdir()
    (work / 'my_cfg.py').write_text(textwrap.dedent(f'''\
        _base_ = ['fcn_plugin::fcn/fcn_r101_voc_321.py']
        model = dict(
            backbone=dict(depth=18, base_channels=16, stem_channels=16,
                          init_cfg=None),
            decode_head=dict(in_channels=128, channels=32))
        data_root = '{voc_root}'
        train_dataloader = dict(batch_size=2, num_workers=0,
                                persistent_workers=False,
                                dataset=dict(data_root=data_root))
        val_dataloader = dict(num_workers=0, persistent_workers=False,
                              dataset=dict(data_root=data_root))
        test_dataloader = val_dataloader
        train_cfg = dict(max_iters=3, val_interval=3)
        default_hooks = dict(checkpoint=dict(interval=2))
        '''))
    before = (work / 'my_cfg.py').read_bytes()
    proc = _mim(wheel_venv, 'train', 'fcn_plugin', 'my_cfg.py',
                '--work-dir', 'wd', cwd=work)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert (work / 'wd' / 'iter_2.pth').is_file()
    # as if stopped after iteration 2 (its newest checkpoint): --resume
    (work / 'wd' / 'iter_3.pth').unlink()
    for best in (work / 'wd').glob('best_*.pth'):
        best.unlink()
    proc = _mim(wheel_venv, 'train', 'fcn_plugin', 'my_cfg.py',
                '--work-dir', 'wd', '--resume', cwd=work)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    assert 'Resuming at iteration 2' in log, log
    assert 'Loads checkpoint by' not in log
    assert (work / 'wd' / 'iter_3.pth').is_file()
    proc = _mim(wheel_venv, 'test', 'fcn_plugin', 'my_cfg.py',
                '--checkpoint', 'wd/iter_3.pth', '--work-dir', 'wd', cwd=work)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert re.search(r'mIoU: \d', proc.stdout + proc.stderr)
    assert 'Loads checkpoint by' not in proc.stdout  # mmengine's raw print
    photos = work / 'photos'
    photos.mkdir()
    import cv2
    import numpy as np
    cv2.imwrite(str(photos / 'a.jpg'), np.random.default_rng(0).integers(
        0, 255, (60, 80, 3), dtype=np.uint8))
    proc = _mim(wheel_venv, 'run', 'fcn_plugin', 'infer', 'my_cfg.py',
                'wd/iter_3.pth', 'photos', '--out', 'out', cwd=work)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert sorted(os.listdir(work / 'out'))
    assert (work / 'my_cfg.py').read_bytes() == before
    # one of the analysis wrappers, by mim run too
    proc = _mim(wheel_venv, 'run', 'fcn_plugin', 'get_flops', 'my_cfg.py',
                '--shape', '64', '64', cwd=work)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert 'GFLOPs' in proc.stdout or 'FLOPs' in proc.stdout


def test_mim_search_reads_at_80_columns(tmp_path, wheel_venv):
    proc = _mim(wheel_venv, 'search', 'fcn_plugin', cwd=tmp_path,
                columns=80)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {}
    for line in proc.stdout.splitlines():
        if line.startswith('config id: '):
            current = rows.setdefault(line.split(': ', 1)[1], {})
        elif rows and not line.startswith('-') and line.strip():
            key, value = re.fullmatch(r'(.*?)\s{2,}(\S.*)', line).groups()
            current[key] = value
            assert len(line) <= 80, line
            assert value.strip() and set(value.strip()) != {'.'}, line
    assert set(rows) == set(REFERENCE_ROWS), proc.stdout
    for name, (miou, _, _) in REFERENCE_ROWS.items():
        assert rows[name]['config'] == f'configs/{name}.py', rows[name]
        assert float(next(v for k, v in rows[name].items()
                          if k.endswith('/miou'))) == miou[0]
