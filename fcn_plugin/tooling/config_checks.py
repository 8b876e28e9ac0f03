"""Catch ``--cfg-options`` that would silently do nothing, or fail an hour in.

mmengine merges any key into the loaded config. Two kinds of slips then pass
unnoticed:

* a top-level key the config does not have (``randomnes.seed=0``), or a
  variable of the config files (``data_root=...``, ``crop_size=...``): the
  files have already used it, so setting it afterwards changes nothing;
* an option a hook swallows through ``**kwargs``: ``CheckpointHook`` hands
  unknown ones to ``Runner.save_checkpoint``, so
  ``default_hooks.checkpoint.intervall=10`` fails at the first save.

:func:`check_cfg_options` warns (one line each) about the first kind and
stops on the second, before the runner is built.
"""
import copy
import difflib
import inspect

from mmengine.runner import Runner

from ..errors import UserInputError
from .builder import merge_options

# Top-level keys that mmengine's Runner and mmseg's tools/APIs read after
# the config is loaded; any other top-level key is a config-file variable.
READ_AFTER_LOADING = {
    *inspect.signature(Runner.__init__).parameters,
    'runner_type', 'custom_imports', 'model_wrapper_cfg', 'sync_bn',
    'find_unused_parameters', 'compile', 'tta_model', 'tta_pipeline',
    'test_pipeline', 'resume_required', 'allow_tf32', 'tensorboard'
} - {'self', 'cfg'}
# top-level switches the runner reads: True/False (yes/no, 1/0...), never
# Python's bool() of a word ('no' would be True)
SWITCHES = ('tensorboard', 'resume_required')


def _suggest(word, choices):
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ''


def _uses_of(cfg, value, prefix=''):
    """Dotted keys under ``cfg`` whose value equals ``value``."""
    found = []
    items = cfg.items() if isinstance(cfg, dict) else enumerate(cfg) \
        if isinstance(cfg, list) else []
    for key, item in items:
        path = f'{prefix}{key}'
        if isinstance(item, (dict, list)):
            found += _uses_of(item, value, path + '.')
        elif item == value and not isinstance(item, bool) \
                and not isinstance(value, bool):  # False == 0: no use
            found.append(path)
    return found


def _warn_top_level(cfg, key):
    top = key.split('.')[0]
    if top not in cfg:
        return (f"--cfg-options {key}: the config has no key '{top}'"
                f'{_suggest(top, cfg.keys())}; it changes nothing.')
    if top in READ_AFTER_LOADING:
        return ''
    uses = [u for u in _uses_of(cfg.to_dict(), cfg[top]) if u.split('.')[0] != top]
    where = f' Set the keys that use it instead: {", ".join(uses[:4])}.' \
        if uses and '.' not in key else ''
    return (f"--cfg-options {key}: '{top}' is a variable of the config "
            'files, already used when they loaded; setting it changes '
            f'nothing.{where}')


def _hook_option_error(merged, key):
    """A ``default_hooks.<name>.<option>`` its hook would only fail on later."""
    parts = key.split('.')
    if len(parts) != 3 or parts[0] != 'default_hooks':
        return ''
    hook_cfg = merged.get('default_hooks', {}).get(parts[1])
    if not isinstance(hook_cfg, dict) or 'type' not in hook_cfg:
        return ''
    from mmengine.hooks import CheckpointHook
    from mmseg.registry import HOOKS  # the configs' scope, then mmengine's
    hook = HOOKS.get(hook_cfg['type'])
    if hook is None or not issubclass(hook, CheckpointHook):
        return ''  # others: an unknown option fails when the hook is built,
        # or where their **kwargs go is unknown here
    # CheckpointHook hands unknown options to Runner.save_checkpoint
    known = set(inspect.signature(Runner.save_checkpoint).parameters)
    for cls in hook.__mro__:
        if '__init__' in vars(cls):
            known |= set(inspect.signature(cls.__init__).parameters)
    known -= {'self', 'args', 'kwargs', 'runner'}
    if parts[2] in known:
        return ''
    return (f'--cfg-options {key}: {hook.__name__} has no option '
            f"'{parts[2]}'{_suggest(parts[2], known)}; it would fail only at "
            'the first checkpoint save.')


def _type_error(cfg, key, value):
    """A number in the config given a value that is no number: it fails
    only deep inside whatever builds it (``num_classes=abc``)."""
    try:
        old = cfg
        for part in key.split('.'):
            old = old[int(part)] if isinstance(old, (list, tuple)) \
                else old[part]
    except (KeyError, IndexError, ValueError, TypeError):
        return ''
    number = isinstance(old, (int, float)) and not isinstance(old, bool)
    if not number or not isinstance(value, str):
        return ''
    return (f'--cfg-options {key}={value}: the config has the number {old} '
            'there; give a number')


def check_cfg_options(cfg, options):
    """Warn about no-op keys; raise on hook options that would fail late.

    Args:
        cfg (Config): the config as loaded, before ``options`` are merged.
        options (dict): ``--cfg-options`` as parsed by ``DictAction``.

    Returns:
        list[str]: warnings, one line each.
    """
    from .arguments import switch
    merged = copy.deepcopy(cfg)
    merge_options(merged, options)
    for key in options:
        if key in SWITCHES:
            switch(options[key], f'--cfg-options {key}')
        error = _type_error(cfg, key, options[key]) or \
            _hook_option_error(merged, key)
        if error:
            raise UserInputError(error)
    return [w for w in (_warn_top_level(cfg, key) for key in options) if w]
