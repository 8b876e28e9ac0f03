"""Every kind of bad input ends in one clear line naming the path or key,
exit code 1 and no traceback; file-list problems are found before training."""
import shutil

import cv2
import numpy as np
import pytest
from conftest import TINY_MODEL, config, run_tool


@pytest.fixture
def voc_copy(tmp_path, voc_root):
    root = tmp_path / 'VOC2012'
    shutil.copytree(voc_root, root)
    return root


def _train(root, tmp_path, *extra, cfg='fcn_r101_voc_321_fp32.py',
           extra_args=()):
    return run_tool(
        'tools/train.py', config(cfg), '--work-dir', str(tmp_path / 'wd'),
        *extra_args, '--cfg-options', *TINY_MODEL, f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}', 'train_cfg.max_iters=1',
        'train_dataloader.batch_size=24', 'train_dataloader.num_workers=1',
        *extra, check=False)


def _assert_one_line_error(proc, *fragments):
    assert proc.returncode == 1, proc.stderr[-3000:]
    errors = [l for l in proc.stderr.splitlines() if l.startswith('error: ')]
    assert len(errors) == 1, proc.stderr[-3000:]
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    assert 'Traceback' not in proc.stderr
    assert 'Iter(train)' not in proc.stdout + proc.stderr  # before training


def test_missing_data_root(tmp_path):
    proc = _train(tmp_path / 'nowhere', tmp_path)
    _assert_one_line_error(proc, 'data_root', 'nowhere', 'does not exist',
                           'prepare_voc_aug.py')


def test_missing_split_file(tmp_path, voc_copy):
    (voc_copy / 'ImageSets/Segmentation/trainaug.txt').unlink()
    _assert_one_line_error(_train(voc_copy, tmp_path), 'split file',
                           'trainaug.txt')


def test_missing_image_and_label(tmp_path, voc_copy):
    (voc_copy / 'JPEGImages/2007_000003.jpg').unlink()
    _assert_one_line_error(_train(voc_copy, tmp_path), '1 of 24 image files',
                           '2007_000003.jpg')
    (voc_copy / 'JPEGImages/2007_000003.jpg').write_bytes(b'')
    (voc_copy / 'SegmentationClassAug/2007_000005.png').unlink()
    _assert_one_line_error(_train(voc_copy, tmp_path), '1 of 24 label files',
                           '2007_000005.png')


def test_mmseg_aug_layout_falls_back_to_segmentation_class(tmp_path,
                                                          voc_copy):
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS
    import fcn_plugin  # noqa: F401
    (voc_copy / 'SegmentationClass').mkdir()
    shutil.move(voc_copy / 'SegmentationClassAug/2007_000005.png',
                voc_copy / 'SegmentationClass/2007_000005.png')
    init_default_scope('mmseg')
    ds = DATASETS.build(dict(type='VOCTrainAugDataset', data_root=str(voc_copy)))
    assert ds.get_data_info(5)['seg_map_path'].endswith(
        'SegmentationClass/2007_000005.png')


def test_truncated_image(tmp_path, voc_copy):
    path = voc_copy / 'JPEGImages/2007_000004.jpg'
    path.write_bytes(path.read_bytes()[:200])
    _assert_one_line_error(_train(voc_copy, tmp_path), 'cannot decode image',
                           '2007_000004.jpg', 'failed to load image',
                           'truncated')


def test_one_pixel_image_and_label_are_a_valid_sample(tmp_path, voc_copy):
    """1x1 (and 1xW) files decode to maps mmseg squeezes to 0-d (1-d): they
    are still a sample, checked and trained on like any other."""
    for name, (height, width) in (('2007_000004', (1, 1)),
                                  ('2007_000005', (1, 40))):
        image = np.full((height, width, 3), 90, np.uint8)
        assert cv2.imwrite(str(voc_copy / 'JPEGImages' / f'{name}.jpg'), image)
        assert cv2.imwrite(str(voc_copy / 'SegmentationClassAug' /
                               f'{name}.png'), np.full((height, width), 3,
                                                       np.uint8))
    check = run_tool('tools/check_dataset.py', config('fcn_r101_voc_321.py'),
                     '--data-root', str(voc_copy), '--splits', 'train',
                     check=False)
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]
    proc = _train(voc_copy, tmp_path, 'train_cfg.val_begin=2')  # all 24
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'Iter(train) [1/1]' in proc.stdout + proc.stderr


def test_pipeline_option_error_names_the_step_and_key(tmp_path, voc_copy):
    """A bad transform setting is the option's fault, not the image's."""
    proc = _train(voc_copy, tmp_path,
                  'train_dataloader.dataset.pipeline.2.crop_size=[(200,200)]')
    _assert_one_line_error(proc, 'pipeline step 2, RandomScaleCrop',
                           'train_dataloader.dataset.pipeline.2')
    assert 'remove its id' not in proc.stderr
    assert 'cannot decode' not in proc.stderr


def test_label_size_differs_from_image(tmp_path, voc_copy):
    path = str(voc_copy / 'SegmentationClassAug/2007_000002.png')
    cv2.imwrite(path, np.zeros((10, 12), np.uint8))
    _assert_one_line_error(_train(voc_copy, tmp_path), '2007_000002.png',
                           'is 12x10 but its image', 'must match')


def test_label_values_outside_classes(tmp_path, voc_copy):
    path = str(voc_copy / 'SegmentationClassAug/2007_000001.png')
    label = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    label[:5, :5] = 40
    cv2.imwrite(path, label)
    _assert_one_line_error(_train(voc_copy, tmp_path), '2007_000001.png',
                           'values [40]', 'outside the 21 classes')


def test_config_typos(tmp_path, voc_root):
    _assert_one_line_error(
        _train(voc_root, tmp_path, 'model.decode_head.num_clases=3'),
        "unexpected keyword argument 'num_clases'", 'check the type names')
    _assert_one_line_error(
        _train(voc_root, tmp_path, 'model.decode_head.type=SimpleFCNHaed'),
        'SimpleFCNHaed is not in the', 'registry')
    proc = run_tool('tools/train.py', 'configs/no_such_config.py',
                    check=False)
    _assert_one_line_error(proc, 'no_such_config.py')


def test_cfg_options_that_change_nothing_or_fail_late(tmp_path, voc_root):
    proc = _train(voc_root, tmp_path, 'randomnes.seed=0', 'data_root=/x',
                  'default_hooks.visualization.interval=1')
    warnings = [line for line in proc.stderr.splitlines()
                if line.startswith('warning: ')]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len(warnings) == 2, proc.stderr[-3000:]
    assert "the config has no key 'randomnes' (did you mean 'randomness'?)" \
        in warnings[0]
    assert "'data_root' is a variable of the config files" in warnings[1]
    assert 'train_dataloader.dataset.data_root' in warnings[1]
    _assert_one_line_error(
        _train(voc_root, tmp_path, 'default_hooks.checkpoint.intervall=10'),
        'AtomicCheckpointHook has no option', "'intervall'",
        "did you mean 'interval'?")


NARROW_MODEL = [  # the tiny model at half the widths: same layers, count
    'model.backbone.base_channels=8', 'model.backbone.stem_channels=8',
    'model.decode_head.in_channels=64']


@pytest.fixture(scope='module')
def narrow_checkpoint(tmp_path_factory, voc_root):
    """1 iteration of the tiny model at half its widths (tools/train.py)."""
    work = tmp_path_factory.mktemp('narrow')
    run_tool('tools/train.py', config('fcn_r101_voc_321_fp32.py'),
             '--work-dir', str(work), '--cfg-options', *TINY_MODEL,
             *NARROW_MODEL, f'train_dataloader.dataset.data_root={voc_root}',
             f'val_dataloader.dataset.data_root={voc_root}',
             'train_cfg.max_iters=1', 'train_dataloader.batch_size=4',
             'train_dataloader.num_workers=0',
             'train_dataloader.persistent_workers=False',
             'val_dataloader.num_workers=0',
             'val_dataloader.persistent_workers=False')
    return str(work / 'iter_1.pth')


def _resume_foreign(tmp_path, voc_root, tiny_checkpoint, optimizer):
    """--resume from a checkpoint with the tiny model's weights and the
    given optimizer state; returns the process and the work dir."""
    import hashlib

    import torch
    work = tmp_path / 'wd'
    work.mkdir()
    checkpoint = torch.load(tiny_checkpoint, weights_only=False)
    checkpoint['optimizer'] = optimizer(checkpoint['optimizer'])
    for scheduler in checkpoint['param_schedulers']:  # a 2-iteration run,
        scheduler['end'] = 2 + 1  # stopped at 1 (ReferencePolyLR's end + 1)
    path = work / 'iter_1.pth'
    torch.save(checkpoint, path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    proc = _train(voc_root, tmp_path, 'train_cfg.max_iters=2',
                  'train_dataloader.batch_size=4', extra_args=['--resume'])
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in work.glob('*.pth')) == ['iter_1.pth']
    return proc, str(path)


def test_resume_with_another_models_optimizer_state(
        tmp_path, voc_root, tiny_checkpoint, narrow_checkpoint):
    import torch
    narrow = torch.load(narrow_checkpoint, weights_only=False)['optimizer']
    proc, path = _resume_foreign(tmp_path, voc_root, tiny_checkpoint,
                                 lambda _: narrow)
    _assert_one_line_error(
        proc, f'--resume {path}: its optimizer state was saved from another '
        'model', 'momentum_buffer', 'backbone.conv1.weight is (8, 3, 7, 7), the parameter (16, 3, 7, 7)',
        'run without --resume', f'--cfg-options load_from={path}',
        'another --work-dir')


def test_resume_with_an_optimizer_state_of_other_parameter_count(
        tmp_path, voc_root, tiny_checkpoint):
    def one_parameter_less(optimizer):
        group = optimizer['param_groups'][0]
        optimizer['state'].pop(group['params'].pop(), None)
        return optimizer
    proc, path = _resume_foreign(tmp_path, voc_root, tiny_checkpoint,
                                 one_parameter_less)
    _assert_one_line_error(proc, f'--resume {path}:', 'another model',
                           'load_from=')


def test_split_file_with_a_byte_order_mark_and_crlf_reads_as_plain(
        tmp_path, voc_copy):
    """A split saved by a Windows editor (UTF-8 BOM, CRLF) lists the same
    samples as the plain file."""
    import fcn_plugin  # noqa: F401
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS
    init_default_scope('mmseg')
    split = voc_copy / 'ImageSets/Segmentation/val.txt'

    def samples():
        dataset = DATASETS.build(dict(
            type='VOCTrainAugDataset', data_root=str(voc_copy),
            ann_file='ImageSets/Segmentation/val.txt', pipeline=[]))
        return [(d['img_path'], d['seg_map_path']) for d in
                map(dataset.get_data_info, range(len(dataset)))]

    plain = samples()
    ids = split.read_text().split()
    split.write_bytes(b'\xef\xbb\xbf' + '\r\n'.join(ids).encode() + b'\r\n')
    assert samples() == plain and len(plain) == len(ids) == 6


@pytest.mark.parametrize('mistake, fragments', [
    (['--launcher', 'slurm'], ['--launcher slurm: this process is not part '
                               'of a SLURM job step', 'SLURM_PROCID']),
    (['--launcher=mpi'], ['--launcher mpi: this process is not part of an '
                          'Open MPI job', 'OMPI_COMM_WORLD_LOCAL_RANK']),
    (['--cfg-options', 'model.decode_head.num_classes=abc'],
     ['model.decode_head.num_classes=abc: the config has the number 21']),
])
def test_launcher_outside_its_job_and_a_word_for_a_number(
        tmp_path, monkeypatch, mistake, fragments):
    for variable in ('SLURM_PROCID', 'OMPI_COMM_WORLD_LOCAL_RANK'):
        monkeypatch.delenv(variable, raising=False)
    proc = run_tool('tools/train.py', config('fcn_r101_voc_321_fp32.py'),
                    '--work-dir', str(tmp_path / 'wd'), *mistake,
                    check=False)
    _assert_one_line_error(proc, *fragments)
    assert not (tmp_path / 'wd').exists()


def _onedl_mmengine():
    from importlib import metadata
    try:
        return bool(metadata.version('onedl-mmengine'))
    except metadata.PackageNotFoundError:
        return False


@pytest.mark.parametrize('base, fragment', [
    ("_base_ = ['fcn_plugin::../../x.py']\n",
     '`_get_package_and_cfg_path` is used for get external package'),
    ("_base_ = ['base_with_import.py']\n",
     'The configuration file type in the inheritance chain must match'),
])
def test_config_mmengine_refuses_is_one_line(tmp_path, base, fragment):
    """Configs mmengine refuses; the onedl fork's mmengine reads a _base_
    that imports a module, and the config then defines no model."""
    (tmp_path / 'base_with_import.py').write_text('import os\nx = 1\n')
    (tmp_path / 'mine.py').write_text(base)
    proc = run_tool('tools/train.py', str(tmp_path / 'mine.py'), check=False)
    if 'import' in base and _onedl_mmengine():
        _assert_one_line_error(proc, f'config {tmp_path / "mine.py"} defines '
                               'no model', "fcn_plugin::fcn/")
    else:
        _assert_one_line_error(proc, f'config {tmp_path / "mine.py"} (or a '
                               '_base_ file of it) cannot be loaded',
                               fragment)


def test_config_without_a_model_is_one_line(tmp_path):
    (tmp_path / 'mine.py').write_text('x = 1\n')
    for tool in ('tools/train.py', 'tools/test.py'):
        args = [str(tmp_path / 'mine.py')] + (['ck.pth'] if 'test' in tool
                                              else [])
        proc = run_tool(tool, *args, check=False)
        _assert_one_line_error(proc, f'config {tmp_path / "mine.py"} defines '
                               'no model', "_base_ = ['fcn_plugin::fcn/")
    assert sorted(p.name for p in tmp_path.iterdir()) == ['mine.py']
