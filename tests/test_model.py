"""The plugin model reproduces the reference FCN exactly (architecture,
parameter count, output stride, logits) and its configs build."""
import types

import pytest
import torch
from conftest import config, run_tool
from mmengine.registry import init_default_scope
from reference_fcn import ReferenceFCN, randomize_

import fcn_plugin  # noqa: F401
from fcn_plugin.tooling.builder import build_segmentor, load_config

ROW_CONFIGS = ['fcn_r101_voc_321.py', 'fcn_r101_voc_321_fp32.py',
               'fcn_r101_cityscapes_256x512.py',
               'fcn_r101_cityscapes_256x512_fullres_test.py']


@pytest.fixture(scope='module')
def reference_and_input():
    torch.manual_seed(0)
    ref = randomize_(ReferenceFCN(num_classes=21), seed=1).eval()
    x = torch.randn(1, 3, 97, 131)
    with torch.no_grad():
        return ref, x, ref(x)


def _assert_same_logits(model, x, expected):
    with torch.no_grad():
        got = model(x, mode='tensor')
    assert got.shape == expected.shape
    rel = ((got - expected).abs().max() / expected.abs().max()).item()
    assert rel < 1e-5, f'max relative difference {rel}'


def _convert_and_load(tmp_path, checkpoint, name):
    from mmseg.apis import init_model
    src, dst = tmp_path / f'{name}.pt', tmp_path / f'{name}_mmseg.pth'
    torch.save(checkpoint, src)
    proc = run_tool('tools/model_converters/fcn2mmseg.py', str(src), str(dst))
    model = init_model(config('fcn_r101_voc_321.py'), str(dst), device='cpu')
    return model.eval(), proc.stdout


def test_pytorch_auto_drive_checkpoint_gives_identical_logits(
        tmp_path, reference_and_input):
    ref, x, expected = reference_and_input
    checkpoint = {'model': ref.state_dict(), 'optimizer': {'state': {}},
                  'lr_scheduler': {'last_epoch': 3}}
    model, out = _convert_and_load(tmp_path, checkpoint, 'pad_fcn')
    assert 'fits fcn_r101_voc_321.py' in out
    # --config means "check against this config as it is"
    wrong = run_tool('tools/model_converters/fcn2mmseg.py',
                     str(tmp_path / 'pad_fcn.pt'), str(tmp_path / 'c.pth'),
                     '--config', config('fcn_r101_cityscapes_256x512.py'),
                     check=False)
    assert wrong.returncode == 1 and not (tmp_path / 'c.pth').exists()
    assert '21-class checkpoint for a 19-class config' in wrong.stderr
    _assert_same_logits(model, x, expected)
    # inference path: logits upsampled with align_corners=True like the reference
    with torch.no_grad():
        up = model.decode_head.predict_by_feat(
            model(x, mode='tensor'), [dict(img_shape=x.shape[-2:])])
        assert torch.allclose(up, ref.predict(x), rtol=1e-5, atol=1e-5)


def test_torchvision_fcn_state_dict_gives_identical_logits(
        tmp_path, reference_and_input):
    ref, x, expected = reference_and_input
    state = dict(ref.state_dict())
    gen = torch.Generator().manual_seed(2)
    for key, shape in (('aux_classifier.0.weight', (256, 1024, 3, 3)),
                       ('aux_classifier.1.weight', (256, )),
                       ('aux_classifier.4.weight', (21, 256, 1, 1))):
        state[key] = torch.randn(shape, generator=gen)
    model, out = _convert_and_load(tmp_path, state, 'tv_fcn')
    assert 'dropped 3 aux_classifier' in out
    _assert_same_logits(model, x, expected)


def test_unconverted_torchvision_state_dict_names_the_converter(
        tmp_path, reference_and_input, voc_root):
    """A torchvision ``fcn_resnet101`` state dict (the reference's names,
    ``aux_classifier.*`` too) given to tools/test.py as it is."""
    state = dict(reference_and_input[0].state_dict())
    state['aux_classifier.4.weight'] = torch.zeros(21, 256, 1, 1)
    path = tmp_path / 'fcn_resnet101_coco.pth'
    torch.save(state, path)
    proc = run_tool('tools/test.py', config('fcn_r101_voc_321.py'), str(path),
                    '--work-dir', str(tmp_path / 'wd'), '--cfg-options',
                    f'test_dataloader.dataset.data_root={voc_root}',
                    check=False)
    errors = [l for l in proc.stderr.splitlines() if l.startswith('error: ')]
    assert proc.returncode == 1 and len(errors) == 1, proc.stderr[-3000:]
    assert 'torchvision FCN checkpoint' in errors[0]
    assert 'tools/model_converters/fcn2mmseg.py' in errors[0]
    assert 'pass the same' not in errors[0]
    assert 'Traceback' not in proc.stderr


@pytest.mark.parametrize('num_classes,params', [(19, 51_948_115),
                                                (21, 51_949_141)])
def test_parameter_count_matches_reference(num_classes, params):
    cfg = load_config(config('fcn_r101_cityscapes_256x512.py'))
    cfg.model.decode_head.num_classes = num_classes
    model = build_segmentor(cfg)
    assert sum(p.numel() for p in model.parameters()) == params
    reference = ReferenceFCN(num_classes)
    assert sum(p.numel() for p in reference.parameters()) == params


@pytest.mark.parametrize('name', ROW_CONFIGS)
def test_row_configs_build_with_output_stride_8(name):
    cfg = load_config(config(name))
    model = build_segmentor(cfg).eval()
    assert type(model.decode_head).__name__ == 'SimpleFCNHead'
    assert isinstance(model.decode_head.dropout, torch.nn.Dropout)
    assert model.decode_head.align_corners is True
    assert model.decode_head.loss_decode.avg_non_ignore is True
    assert not model.with_auxiliary_head
    with torch.no_grad():
        logits = model(torch.zeros(1, 3, 64, 96), mode='tensor')
    expected = 19 if 'cityscapes' in name else 21
    assert logits.shape == (1, expected, 8, 12)


def test_head_starts_from_pytorch_default_init():
    init_default_scope('mmseg')
    from mmseg.registry import MODELS
    head = MODELS.build(dict(type='SimpleFCNHead', num_classes=21,
                             norm_cfg=dict(type='BN')))
    head.init_weights()
    # nn.Conv2d default: kaiming_uniform(a=sqrt(5)) -> bound 1/sqrt(fan_in)
    bound = 1 / (512**0.5)
    weight = head.conv_seg.weight
    assert weight.abs().max() <= bound and weight.std() > bound / 3
    assert torch.all(head.convs[0].bn.weight == 1)


def test_every_registered_name_builds(tmp_path, voc_root, cityscapes_root):
    from mmengine.registry import (HOOKS, OPTIM_WRAPPERS,
                                   WEIGHT_INITIALIZERS)
    from mmseg.registry import DATASETS, MODELS, TRANSFORMS
    init_default_scope('mmseg')
    assert MODELS.build(dict(type='SimpleFCNHead', num_classes=3))
    assert len(DATASETS.build(dict(type='VOCTrainAugDataset',
                                   data_root=voc_root))) == 24
    assert len(DATASETS.build(dict(
        type='CityscapesLabelIdDataset', data_root=cityscapes_root,
        data_prefix=dict(img_path='leftImg8bit/train',
                         seg_map_path='gtFine/train')))) == 4
    for name in ('CheckedLoadAnnotations', 'CityscapesLabelIdMap',
                 'PadImageForTest', 'RandomScale'):
        assert TRANSFORMS.build(dict(type=name))
    assert TRANSFORMS.build(dict(type='EvaluateAtScale', scale=(8, 4)))
    model = torch.nn.Linear(2, 2)
    wrapper = OPTIM_WRAPPERS.build(dict(
        type='MixedPrecisionOptimWrapper',
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
    assert wrapper.cast_dtype == torch.bfloat16  # CPU path of this machine
    assert HOOKS.build(dict(type='RandomStateHook'))
    assert WEIGHT_INITIALIZERS.build(dict(type='ImageNetPretrained',
                                          checkpoint='x.pth'))


def test_get_flops_matches_reference_table():
    for (h, w), flops in (((256, 512), 216.42), ((512, 1024), 865.69)):
        proc = run_tool('tools/analysis/get_flops.py',
                        config('fcn_r101_cityscapes_256x512.py'), '--shape',
                        str(h), str(w))
        out = proc.stdout
        lines = dict(line.split(': ', 1) for line in out.splitlines()
                     if line.startswith(('FLOPs(G)', 'Params(M)')))
        assert abs(float(lines['FLOPs(G)']) - flops) / flops < 1e-3, out
        assert lines['Params(M)'] == '51.95'
        assert 'Flops:' in out and 'Params:' in out  # mmseg's own lines
        # one honest line instead of mmengine's per-op warnings
        assert 'not counted' in out and 'max_pool2d' in out
        assert 'Unsupported operator' not in out + proc.stderr


@pytest.mark.parametrize('ignored', ['some', 'none', 'all'])
def test_head_loss_is_mmsegs_without_host_reads(ignored):
    """SimpleFCNHead's loss_by_feat (count on the device, masked accuracy)
    against mmseg's own BaseDecodeHead.loss_by_feat on the same logits."""
    from mmengine.structures import PixelData
    from mmseg.models.decode_heads.decode_head import BaseDecodeHead
    from mmseg.registry import MODELS
    from mmseg.structures import SegDataSample
    init_default_scope('mmseg')
    cfg = load_config(config('fcn_r101_voc_321.py')).model.decode_head
    head = MODELS.build(dict(cfg, in_channels=8, channels=4))
    gen = torch.Generator().manual_seed(3)
    logits = torch.randn(2, 21, 9, 11, generator=gen)
    samples = []
    for _ in range(2):
        label = torch.randint(0, 21, (1, 65, 81), generator=gen)
        label[:, :{'some': 20, 'none': 0, 'all': 65}[ignored]] = 255
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=label)
        samples.append(sample)
    ours = head.loss_by_feat(logits, samples)
    mmseg = BaseDecodeHead.loss_by_feat(head, logits, samples)
    assert ours.keys() == mmseg.keys() == {'loss_ce', 'acc_seg'}
    assert torch.equal(ours['loss_ce'], mmseg['loss_ce'])
    assert ours['acc_seg'].shape == mmseg['acc_seg'].shape
    assert torch.allclose(ours['acc_seg'], mmseg['acc_seg'], rtol=1e-6)


def test_row_preprocessor_is_mmsegs_with_non_blocking_copies():
    """The rows' data preprocessor: mmseg's SegDataPreProcessor's outputs,
    with mmengine's non_blocking copies on (pinned batches on a GPU)."""
    from mmengine.structures import PixelData
    from mmseg.models.data_preprocessor import SegDataPreProcessor
    from mmseg.registry import MODELS
    from mmseg.structures import SegDataSample
    init_default_scope('mmseg')
    cfg = dict(load_config(config('fcn_r101_voc_321.py')).model.data_preprocessor)
    assert cfg.pop('type') == 'NonBlockingSegDataPreProcessor'
    ours, mmseg = MODELS.build(dict(cfg, type='NonBlockingSegDataPreProcessor')), \
        SegDataPreProcessor(**cfg)
    assert ours._non_blocking is True and mmseg._non_blocking is False
    gen = torch.Generator().manual_seed(0)

    def batch():
        return dict(
            inputs=[torch.randint(0, 256, (3, 300, 250), generator=gen,
                                  dtype=torch.uint8)],
            data_samples=[SegDataSample(gt_sem_seg=PixelData(
                data=torch.randint(0, 21, (1, 300, 250), generator=gen)))])

    gen.manual_seed(0)
    a = ours(batch(), training=True)
    gen.manual_seed(0)
    b = mmseg(batch(), training=True)
    assert torch.equal(a['inputs'], b['inputs'])
    assert torch.equal(a['data_samples'][0].gt_sem_seg.data,
                       b['data_samples'][0].gt_sem_seg.data)


def test_loaders_fit_the_machine():
    from fcn_plugin.engine.concise_console_runner import fit_loaders
    loaders = {'train_dataloader': dict(num_workers=8, pin_memory=True),
               'val_dataloader': dict(num_workers=1)}
    assert fit_loaders(loaders, 2) == [('train_dataloader', 8)]
    assert loaders['train_dataloader'] == dict(
        num_workers=2, pin_memory=torch.cuda.is_available())
    assert loaders['val_dataloader'] == dict(num_workers=1)


@pytest.mark.parametrize('case', ['same size', 'padded', 'resized', 'flipped',
                                  'no meta', 'one class'])
def test_postprocess_is_mmsegs_bitwise(case):
    """CheckedEncoderDecoder.postprocess_result against mmseg's own
    BaseSegmentor.postprocess_result on the same logits: the same logits
    and predictions, ties included."""
    from mmseg.models.segmentors.base import BaseSegmentor
    from mmseg.structures import SegDataSample

    from fcn_plugin.models.checked_encoder_decoder import \
        CheckedEncoderDecoder
    torch.manual_seed(0)
    classes = 1 if case == 'one class' else 21
    logits = torch.randn(2, classes, 64, 96)
    logits[:, :, :8] = 0.5  # ties: the first maximal index wins
    meta = dict(ori_shape=(64, 96))
    if case == 'padded':
        meta.update(ori_shape=(60, 90), padding_size=[0, 6, 0, 4])
    elif case == 'resized':
        meta.update(ori_shape=(101, 77))
    elif case == 'flipped':
        meta.update(flip=True, flip_direction='horizontal')
    for align_corners in (True, False):
        results = []
        for method in (CheckedEncoderDecoder.postprocess_result,
                       BaseSegmentor.postprocess_result):
            model = types.SimpleNamespace(
                align_corners=align_corners,
                decode_head=types.SimpleNamespace(threshold=0.3))
            samples = None if case == 'no meta' else [
                SegDataSample(metainfo=dict(meta)) for _ in range(2)]
            results.append(method(model, logits.clone(), samples))
        for ours, theirs in zip(*results):
            assert torch.equal(ours.seg_logits.data, theirs.seg_logits.data)
            assert torch.equal(ours.pred_sem_seg.data,
                               theirs.pred_sem_seg.data)
