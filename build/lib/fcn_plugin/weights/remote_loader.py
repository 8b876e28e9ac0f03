"""mmengine's loader for ``http://`` / ``https://`` checkpoints, never unpickling code.

mmengine's own ``load_from_http`` hands the download to ``torch.load`` with
torch's default ``weights_only``, which before torch 2.6 runs any pickled
code, and an unreachable address ends in a urllib traceback. This one
downloads the file as torch.hub does (into ``<torch.hub.get_dir()>/checkpoints``,
reused when already there; local rank 0 first under DDP), then reads it like
a local checkpoint (``local_loader``): restricted unpickling, one-line errors.
"""
import os
import os.path as osp
from urllib.error import URLError
from urllib.parse import urlparse

import torch
from mmengine.dist import get_dist_info
from mmengine.runner import CheckpointLoader

from ..errors import UserInputError
from .local_loader import load_local_checkpoint


def download_checkpoint(url, model_dir=None, progress=False):
    """Download ``url`` once into the torch.hub cache; return the local path."""
    model_dir = model_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    path = osp.join(model_dir, osp.basename(urlparse(url).path) or 'checkpoint')
    if osp.isfile(path):
        return path
    try:
        os.makedirs(model_dir, exist_ok=True)
        torch.hub.download_url_to_file(url, path, progress=progress)
    except (URLError, OSError, ValueError) as exc:
        reason = getattr(exc, 'reason', None) or exc
        raise UserInputError(
            f'cannot download checkpoint {url}: {reason}. Check the address '
            'and the network, or download the file yourself and pass its '
            'local path.') from exc
    return path


@CheckpointLoader.register_scheme(prefixes=('http://', 'https://'), force=True)
def load_http_checkpoint(filename, map_location=None, model_dir=None,
                         progress=False):
    """``load_from_http`` of mmengine, tensor-only and with clear errors."""
    rank, world_size = get_dist_info()
    if rank == 0:
        path = download_checkpoint(filename, model_dir, progress)
    if world_size > 1:
        torch.distributed.barrier()
        if rank > 0:
            path = download_checkpoint(filename, model_dir, progress)
    return load_local_checkpoint(path, map_location)
