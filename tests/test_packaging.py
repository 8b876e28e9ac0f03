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

from conftest import REPO, run_tool

import fcn_plugin
from fcn_plugin.tooling.builder import load_config

# the reference's table (seed spec): mIoU, train crop, precision
REFERENCE_ROWS = {
    'fcn_r101_voc_321': (70.72, '321x321', 'mixed'),
    'fcn_r101_voc_321_fp32': (70.91, '321x321', 'fp32'),
    'fcn_r101_cityscapes_256x512': (68.05, '256x512', 'mixed'),
}
USER_SCRIPT = textwrap.dedent('''
    import os, sys
    import fcn_plugin
    from mmengine.config import Config
    from mmengine.hub import get_config
    from mmseg.registry import MODELS
    from mmseg.utils import register_all_modules
    here = os.getcwd()
    assert fcn_plugin.__file__.startswith(sys.argv[1]), fcn_plugin.__file__
    row = get_config('fcn_plugin::fcn/fcn_r101_voc_321.py')
    assert row.model.decode_head.num_classes == 21, row.model
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
    register_all_modules()  # mmseg's way, before building
    cfg.model.backbone.init_cfg = None  # no ImageNet file here
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
        tmp_path, wheel_site):
    assert (wheel_site / 'fcn_plugin/.mim/configs/fcn/fcn_r101_voc_321.py'
            ).is_file()
    assert not (wheel_site / 'fcn_plugin/.mim/configs').is_symlink()
    empty = tmp_path / 'empty'
    empty.mkdir()
    env = dict(os.environ, PYTHONPATH=str(wheel_site),
               PYTHONWARNINGS='ignore')
    proc = subprocess.run([sys.executable, '-c', USER_SCRIPT,
                           str(wheel_site)], cwd=empty, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f'fcn_plugin:: from {wheel_site}' in proc.stdout


def test_wheel_configs_are_the_repo_configs(wheel_site):
    """Built from configs/, never kept twice."""
    packaged = wheel_site / 'fcn_plugin/.mim/configs'
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
        == os.path.join(REPO, 'configs', 'fcn', 'fcn_r101_voc_321.py')


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
        assert result.metrics == {'mIoU': miou}
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
    this checkout's own install: one line saying why (an editable install,
    where mmengine finds no package files, or the rows there are)."""
    (tmp_path / 'typo.py').write_text(
        "_base_ = ['fcn_plugin::fcn/fcn_r101_voc_32.py']\n")
    proc = run_tool('tools/train.py', str(tmp_path / 'typo.py'), check=False)
    errors = [line for line in proc.stderr.splitlines()
              if line.startswith('error: ')]
    assert proc.returncode == 1 and len(errors) == 1, proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr
    # where mmengine looked: the package's files there, or none (editable)
    looked = re.search(r'(/\S+/fcn_plugin/\.mim)/', errors[0]).group(1)
    if os.path.isdir(looked):
        assert 'no such row config; the rows: fcn_plugin::fcn/' in errors[0]
    else:
        assert ('resolve only in a regular install (pip install '
                '".[openmmlab,lite]", not -e): this one is editable, so '
                "inherit the checkout's configs/fcn/<row>.py") in errors[0]
