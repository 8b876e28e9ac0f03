"""Key mapping from the reference FCN checkpoints to the plugin's mmseg model.

Accepted sources:

* pytorch-auto-drive: ``{'model': state_dict, 'optimizer': ..., ...}`` with
  keys ``backbone.<torchvision ResNet name>`` and ``classifier.{0,1,4}.*``;
* torchvision ``fcn_resnet101``: the same names plus ``aux_classifier.*``
  (the layer3 auxiliary head, which the reference does not use: dropped).

A ``module.`` prefix (DataParallel / DDP) is stripped.
"""
from ..errors import UserInputError

HEAD_KEYS = {
    'classifier.0.': 'decode_head.convs.0.conv.',  # 3x3 conv, no bias
    'classifier.1.': 'decode_head.convs.0.bn.',  # BatchNorm
    'classifier.4.': 'decode_head.conv_seg.',  # 1x1 classifier
}


def _unprefixed(key):
    return key[len('module.'):] if key.startswith('module.') else key


def is_reference_format(state_dict):
    """Whether ``state_dict`` has the key names of a pytorch-auto-drive or
    torchvision FCN (its ``classifier.*`` head, no ``decode_head.*``):
    what :func:`convert_fcn_state_dict` converts."""
    keys = [_unprefixed(k) for k in state_dict]
    return not any(k.startswith('decode_head.') for k in keys) and any(
        k.startswith(p) for k in keys for p in (*HEAD_KEYS, 'aux_classifier.'))


def convert_fcn_state_dict(checkpoint):
    """Map a reference FCN checkpoint to plugin keys.

    Args:
        checkpoint (dict): a loaded pytorch-auto-drive or torchvision file.

    Returns:
        tuple(dict, list[str]): the mmseg ``state_dict`` and the dropped keys.

    Raises:
        UserInputError: keys that belong to neither format (names listed).
    """
    state = checkpoint.get('model', checkpoint)
    if not isinstance(state, dict) or not state:
        raise UserInputError('no state dict found (expected a dict of tensors '
                             "or {'model': state_dict})")
    converted, dropped, unknown = {}, [], []
    for key, value in state.items():
        key = _unprefixed(key)
        if key.startswith('backbone.'):
            converted[key] = value
        elif key.startswith('aux_classifier.'):
            dropped.append(key)
        else:
            prefix = next((p for p in HEAD_KEYS if key.startswith(p)), None)
            if prefix is None:
                unknown.append(key)
            else:
                converted[HEAD_KEYS[prefix] + key[len(prefix):]] = value
    if unknown:
        raise UserInputError(
            f'{len(unknown)} key(s) belong to neither a pytorch-auto-drive nor '
            f'a torchvision FCN checkpoint: {", ".join(unknown[:8])}')
    return converted, dropped
