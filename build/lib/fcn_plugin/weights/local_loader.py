"""mmengine's loader for local checkpoint files, with one-line errors.

Every local checkpoint mmengine reads (``tools/test.py``, ``--resume``,
``load_from=``, ``init_model``, ``MMSegInferencer``) goes through the loader
registered for paths without a scheme. Registering this one in its place
(mmengine's own extension point, ``CheckpointLoader.register_scheme``) makes
a missing, truncated or non-checkpoint file, or one carrying pickled code,
end as a :class:`UserInputError` naming the file, instead of a traceback.
Files are read with ``weights_only=True``: pickled code is never executed.
"""
import os.path as osp

from mmengine.runner import CheckpointLoader

from ..errors import UserInputError
from .io import load_checkpoint_file


@CheckpointLoader.register_scheme(prefixes='', force=True)
def load_local_checkpoint(filename, map_location=None):
    """``load_from_local`` of mmengine, tensor-only and with clear errors."""
    filename = osp.expanduser(filename)
    checkpoint = load_checkpoint_file(filename, 'checkpoint',
                                      map_location=map_location)
    if not isinstance(checkpoint, dict):
        raise UserInputError(
            f'checkpoint {filename} holds a {type(checkpoint).__name__}, not '
            'a checkpoint dict (state_dict or {"state_dict": ...}).')
    return checkpoint
