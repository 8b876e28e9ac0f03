"""Real-format weights in and out: ImageNet init and the converter's errors
(checkpoint loading and its security: test_checkpoint_security.py)."""
import pytest
import torch
from conftest import config, run_tool

import fcn_plugin  # noqa: F401
from fcn_plugin.errors import UserInputError
from fcn_plugin.weights import convert_fcn_state_dict, load_resnet_state_dict
from fcn_plugin.tooling.builder import build_segmentor, load_config


@pytest.fixture(scope='module')
def r101_backbone():
    cfg = load_config(config('fcn_r101_voc_321_fp32.py'))
    return build_segmentor(cfg).backbone


def _torchvision_classifier_state(backbone, seed=0):
    """A torchvision ImageNet ResNet state dict (backbone names + fc.*)."""
    gen = torch.Generator().manual_seed(seed)
    state = {k: torch.randn(v.shape, generator=gen) if v.is_floating_point()
             else v.clone() for k, v in backbone.state_dict().items()}
    state['fc.weight'] = torch.randn(1000, 2048, generator=gen)
    state['fc.bias'] = torch.randn(1000, generator=gen)
    return state


def test_imagenet_init_torchvision_format(tmp_path, r101_backbone):
    state = _torchvision_classifier_state(r101_backbone)
    path = tmp_path / 'resnet101-5d3b4d8f.pth'
    torch.save(state, path)
    load_resnet_state_dict(r101_backbone, str(path))
    loaded = r101_backbone.state_dict()
    assert torch.equal(loaded['layer3.22.conv2.weight'],
                       state['layer3.22.conv2.weight'])
    assert torch.equal(loaded['conv1.weight'], state['conv1.weight'])


def test_imagenet_init_mmpretrain_format(tmp_path, r101_backbone):
    state = _torchvision_classifier_state(r101_backbone, seed=1)
    mmpretrain = {'meta': {}, 'state_dict': {
        ('head.' + k if k.startswith('fc.') else 'backbone.' + k): v
        for k, v in state.items()}}
    path = tmp_path / 'resnet101_8xb32_in1k.pth'
    torch.save(mmpretrain, path)
    load_resnet_state_dict(r101_backbone, str(path))
    assert torch.equal(r101_backbone.state_dict()['layer4.2.bn3.weight'],
                       state['layer4.2.bn3.weight'])


@pytest.mark.parametrize('fmt', ['torchvision', 'mmpretrain'])
def test_imagenet_init_runs_through_model_init_weights(tmp_path, fmt):
    """The config's init_cfg path: the whole segmentor's init_weights loads
    the file (either format, told apart by its keys) and nothing
    re-initialises the backbone afterwards."""
    cfg = load_config(config('fcn_r101_voc_321_fp32.py'))
    cfg.model.backbone.update(depth=18, base_channels=16, stem_channels=16)
    cfg.model.decode_head.update(in_channels=128, channels=32)
    model = build_segmentor(cfg)
    state = _torchvision_classifier_state(model.backbone, seed=2)
    if fmt == 'mmpretrain':  # what mmpretrain's ImageClassifier saves
        state = {'meta': {'mmpretrain_version': '1.2.0'}, 'state_dict': {
            ('head.' + k if k.startswith('fc.') else 'backbone.' + k): v
            for k, v in state.items()}}
    path = tmp_path / f'r18_{fmt}.pth'
    torch.save(state, path)
    model.backbone.init_cfg['checkpoint'] = str(path)
    model.init_weights()
    expected = state.get('state_dict', state)
    key = 'backbone.layer1.0.conv1.weight' if fmt == 'mmpretrain' \
        else 'layer1.0.conv1.weight'
    assert torch.equal(model.backbone.state_dict()['layer1.0.conv1.weight'],
                       expected[key])


def test_imagenet_missing_file_says_how_to_fix(r101_backbone):
    with pytest.raises(UserInputError) as err:
        load_resnet_state_dict(r101_backbone, 'checkpoints/nope.pth')
    msg = str(err.value)
    assert 'checkpoints/nope.pth' in msg and 'resnet101-5d3b4d8f' in msg
    assert 'model.backbone.init_cfg=None' in msg


def test_imagenet_wrong_keys_and_shapes_are_named(tmp_path, r101_backbone):
    state = _torchvision_classifier_state(r101_backbone)
    del state['layer2.0.conv1.weight']
    state['layer9.0.conv1.weight'] = torch.zeros(1)
    state['conv1.weight'] = torch.zeros(64, 3, 3, 3)
    path = tmp_path / 'bad.pth'
    torch.save(state, path)
    with pytest.raises(UserInputError) as err:
        load_resnet_state_dict(r101_backbone, str(path))
    msg = str(err.value)
    assert 'missing keys: layer2.0.conv1.weight' in msg
    assert 'unexpected keys: layer9.0.conv1.weight' in msg
    assert 'conv1.weight: file (64, 3, 3, 3) vs model (64, 3, 7, 7)' in msg


def test_training_without_imagenet_file_fails_clearly(tmp_path, voc_root):
    proc = run_tool(
        'tools/train.py', config('fcn_r101_voc_321_fp32.py'), '--work-dir',
        str(tmp_path), '--cfg-options',
        f'train_dataloader.dataset.data_root={voc_root}',
        f'val_dataloader.dataset.data_root={voc_root}',
        'model.backbone.init_cfg.checkpoint=/no/such/resnet101.pth',
        check=False)
    assert proc.returncode == 1
    assert 'error: ImageNet checkpoint not found: /no/such/resnet101.pth' \
        in proc.stderr
    assert 'Traceback' not in proc.stderr


def test_converter_rejects_unknown_keys():
    with pytest.raises(UserInputError, match='encoder.weight'):
        convert_fcn_state_dict({'model': {'encoder.weight': torch.zeros(1)}})


def test_converter_cli_errors(tmp_path):
    missing = run_tool('tools/model_converters/fcn2mmseg.py',
                       str(tmp_path / 'none.pt'), str(tmp_path / 'o.pth'),
                       check=False)
    assert missing.returncode == 1
    assert 'FCN checkpoint not found' in missing.stderr
    assert 'Traceback' not in missing.stderr

    bad_shape = tmp_path / 'bad_shape.pt'
    torch.save({'model': {'backbone.conv1.weight': torch.zeros(64, 3, 3, 3),
                          'classifier.4.weight': torch.zeros(21, 512, 1, 1)}},
               bad_shape)
    proc = run_tool('tools/model_converters/fcn2mmseg.py', str(bad_shape),
                    str(tmp_path / 'o.pth'), check=False)
    assert proc.returncode == 1
    assert 'backbone.conv1.weight: file (64, 3, 3, 3) vs model (64, 3, 7, 7)' \
        in proc.stderr
    assert 'missing keys' in proc.stderr
    assert not (tmp_path / 'o.pth').exists()  # nothing half-written

    garbage = tmp_path / 'garbage.pt'
    garbage.write_bytes(b'not a checkpoint')
    proc = run_tool('tools/model_converters/fcn2mmseg.py', str(garbage),
                    str(tmp_path / 'o.pth'), check=False)
    assert proc.returncode == 1 and 'cannot read FCN checkpoint' in proc.stderr
