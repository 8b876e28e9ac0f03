"""mmseg's ``EncoderDecoder`` that refuses weights which do not fit it.

mmengine loads checkpoints with ``strict=False`` everywhere a user meets it
(``tools/test.py``, ``load_from=``, ``init_model``, ``MMSegInferencer``): a
19-class Cityscapes checkpoint in a 21-class VOC config only logs a warning,
leaves a random classifier and is scored anyway. This segmentor checks every
state dict loaded into it as a whole (a ``load_state_dict`` pre-hook, which
mmengine's loader and torch's both call) and stops with one line naming the
first missing, unexpected or mis-shaped keys and the likely cause.

Fine-tuning from a checkpoint with another head is a choice, made explicit
with ``model.strict_load=False``: what fits is loaded, the rest keeps its
initialisation, and mmengine's warning lists what was skipped.

Fast path (not in the reference; the same maths, other kernels):
``model.channels_last=True`` keeps the weights and the input batch in
channels_last memory format, which cuDNN's tensor-core convolutions prefer.
The weights are converted at the first forward, after initialisation and
loading: an initializer fills a tensor in memory order, so converting first
would initialise other values than the plain model. Its predictions come
from mmseg's post-processing without two no-op costs
(:mod:`.fast_postprocess`).
"""
import torch
from mmengine.logging import print_log
from mmseg.models import EncoderDecoder
from mmseg.registry import MODELS

from ..errors import UserInputError
from ..weights.convert_fcn import is_reference_format
from ..weights.io import state_dict_mismatch
from .fast_postprocess import postprocess_result

# num_classes -> the row config such a checkpoint belongs to
ROW_CONFIGS = {21: 'configs/fcn_r101_voc_321.py',
               19: 'configs/fcn_r101_cityscapes_256x512.py'}
CLASSIFIER = 'decode_head.conv_seg.weight'


def likely_cause(expected, given):
    """One phrase on why ``given`` does not fit ``expected`` (state dicts)."""
    if is_reference_format(given):
        return ('a pytorch-auto-drive or torchvision FCN checkpoint '
                '(classifier.* keys), not an mmseg one: convert it first, '
                'python tools/model_converters/fcn2mmseg.py CHECKPOINT '
                'converted.pth, and use converted.pth')
    if CLASSIFIER in expected and CLASSIFIER in given:
        want, have = expected[CLASSIFIER].shape[0], given[CLASSIFIER].shape[0]
        if want != have:
            hint = f': use {ROW_CONFIGS[have]}' if have in ROW_CONFIGS else ''
            return f'{have}-class checkpoint for a {want}-class config{hint}'
    if not any(k.startswith('backbone.') for k in given):
        return ('no backbone.* keys: not an mmseg checkpoint of this model '
                '(convert reference or torchvision FCN files with '
                'tools/model_converters/fcn2mmseg.py)')
    return ('the checkpoint was trained with another model (e.g. other '
            '--cfg-options such as a smaller backbone): pass the same options')


@MODELS.register_module()
class CheckedEncoderDecoder(EncoderDecoder):
    """``EncoderDecoder`` + a whole-state-dict fit check on every load.

    Args:
        strict_load (bool): True (default) refuses a state dict that does not
            fit exactly; False loads what fits (fine-tuning from another
            head), as plain mmseg does.
        channels_last (bool): weights and inputs in channels_last layout.
        **kwargs: As :class:`mmseg.models.EncoderDecoder`.
    """

    def __init__(self, strict_load=True, channels_last=False, **kwargs):
        super().__init__(**kwargs)
        self.strict_load = strict_load
        self.channels_last = channels_last
        self._in_channels_last = False
        # public from torch 2.5; the same hook through the older private API
        register = getattr(self, 'register_load_state_dict_pre_hook', None)
        if register is not None:
            register(self._check_fit)
        else:
            self._register_load_state_dict_pre_hook(self._check_fit,
                                                    with_module=True)

    def postprocess_result(self, seg_logits, data_samples=None):
        """mmseg's, bitwise, without its no-op costs
        (:mod:`.fast_postprocess`)."""
        return postprocess_result(self, seg_logits, data_samples)

    def extract_feat(self, inputs):
        if self.channels_last:
            if not self._in_channels_last:  # in place: optimizers keep
                self.to(memory_format=torch.channels_last)  # their params
                self._in_channels_last = True
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        return super().extract_feat(inputs)

    @staticmethod
    def _check_fit(module, state_dict, prefix, *args):
        if prefix:  # loaded as a part of a bigger model: not ours to judge
            return
        expected = module.state_dict()
        mismatch = state_dict_mismatch(expected, state_dict)
        if not mismatch:
            return
        cause = likely_cause(expected, state_dict)
        if not module.strict_load:
            print_log(f'model.strict_load=False: loading only what fits '
                      f'({cause}; {mismatch})', logger='current')
            return
        if is_reference_format(state_dict):
            raise UserInputError(f'checkpoint does not fit the config\'s '
                                 f'model: it is {cause}.')
        raise UserInputError(
            f'checkpoint does not fit the config\'s model ({cause}): '
            f'{mismatch}. To fine-tune from it on purpose, keeping what fits: '
            '--cfg-options model.strict_load=False')
