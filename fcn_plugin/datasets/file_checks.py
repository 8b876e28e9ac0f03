"""Check a dataset's folders, split file and every listed file before training.

A missing image hours into training is the worst way to learn about it, so
the plugin's datasets verify, at construction, that the data root, the image
folder, the split file and every image/label file exist; and a file that
cannot be decoded later is named, with its sample, instead of surfacing as an
assertion deep inside mmcv or OpenCV; a later pipeline step that fails is
named with its settings and config key (the files are not its cause).
"""
import os
import os.path as osp

from mmcv.transforms import LoadAnnotations, LoadImageFromFile

from ..errors import UserInputError

# the steps that read files: their failures are the file's
LOADING_STEPS = (LoadImageFromFile, LoadAnnotations)


def _first(paths, n=5):
    more = f' (+{len(paths) - n} more)' if len(paths) > n else ''
    return ', '.join(paths[:n]) + more


class CheckedFileListMixin:
    """Mixin for ``BaseSegDataset`` subclasses: fail early with clear messages.

    ``prepare_hint`` (class attribute) tells the user how to build the data.
    """

    prepare_hint = ''

    def load_data_list(self):
        hint = f' {self.prepare_hint}' if self.prepare_hint else ''
        problem = self.folder_problem()
        if problem:
            raise UserInputError(problem)
        data_list = self.unchecked_data_list()
        name = type(self).__name__
        source = self.ann_file or self.data_prefix.get('img_path')
        if not data_list:
            raise UserInputError(
                f'{name}: no samples found (split {source}).{hint}')
        for kind, paths in self.missing_files(data_list).items():
            if paths:
                raise UserInputError(
                    f'{name}: {len(paths)} of {len(data_list)} {kind} files '
                    f'listed by {source} are missing: {_first(paths)}.{hint}')
        return data_list

    def folder_problem(self):
        """The first problem with data_root, the image folder or the split
        file, with how to fix it (``''`` if none)."""
        name = type(self).__name__
        hint = f' {self.prepare_hint}' if self.prepare_hint else ''
        img_dir = self.data_prefix.get('img_path')
        if self.data_root and not osp.isdir(self.data_root):
            return (f'{name}: data_root {self.data_root} does not exist. Put '
                    'the dataset there (a symlink is fine) or set '
                    'train_dataloader.dataset.data_root / '
                    f'val_dataloader.dataset.data_root.{hint}')
        if img_dir and not osp.isdir(img_dir):
            return (f'{name}: image folder {img_dir} does not exist.'
                    f'{self._nested_root_hint(img_dir) or hint}')
        if self.ann_file and not osp.isfile(self.ann_file):
            return f'{name}: split file {self.ann_file} does not exist.{hint}'
        return ''

    def _nested_root_hint(self, img_dir):
        """data_root one level too high (e.g. VOCdevkit, not VOC2012)?"""
        if not self.data_root:
            return ''
        relative = osp.relpath(img_dir, self.data_root)
        for sub in sorted(os.listdir(self.data_root)):
            nested = osp.join(self.data_root, sub)
            if osp.isdir(osp.join(nested, relative)):
                return (f' It is in {nested}: point the splits there, not at '
                        'its parent: --cfg-options '
                        f'train_dataloader.dataset.data_root={nested} '
                        f'val_dataloader.dataset.data_root={nested} '
                        f'test_dataloader.dataset.data_root={nested}')
        return ''

    def unchecked_data_list(self):
        """The samples of the split, label folders resolved, not checked
        (blank lines of the split file name no sample; a UTF-8 byte order
        mark, which Windows editors write, is no part of the first id, as
        CRLF line ends are no part of any)."""
        try:
            data_list = super().load_data_list()
        except UnicodeDecodeError as exc:
            raise UserInputError(
                f'{type(self).__name__}: split file {self.ann_file} is not '
                f'UTF-8 text ({exc.reason} at byte {exc.start}): save it as '
                'UTF-8, one image id per line.') from None
        for key in ('img_path', 'seg_map_path'):
            if data_list and data_list[0].get(key):
                folder, name = osp.split(data_list[0][key])
                data_list[0][key] = osp.join(folder, name.lstrip('\ufeff'))
        suffix = getattr(self, 'img_suffix', None)
        data_list = [d for d in data_list
                     if osp.basename(d['img_path']) != suffix]
        return self.locate_files(data_list)

    @staticmethod
    def missing_files(data_list):
        """``{'image': [paths], 'label': [paths]}`` of listed missing files."""
        return {
            'image': [d['img_path'] for d in data_list
                      if not osp.isfile(d['img_path'])],
            'label': [d['seg_map_path'] for d in data_list
                      if d.get('seg_map_path')
                      and not osp.isfile(d['seg_map_path'])],
        }

    def prepare_data(self, idx):
        """``BaseDataset.prepare_data``, one pipeline step at a time, so that
        a failure names its cause: a file that cannot be read or decoded
        (the loading steps), or else the step, its settings and its key."""
        data = self.get_data_info(idx)
        for index, step in enumerate(self.pipeline.transforms):
            try:
                data = step(data)
            except UserInputError:
                raise
            except Exception as exc:
                raise self._step_error(index, step, exc, data) from exc
            if data is None:
                return None
        return data

    def _step_error(self, index, step, exc, info):
        """The :class:`UserInputError` for ``exc`` raised by ``step``."""
        name = type(self).__name__
        text = str(exc).strip().splitlines()
        reason = f'{type(exc).__name__}{": " + text[-1] if text else ""}'
        if isinstance(exc, OSError) and exc.errno:  # not a broken file
            return UserInputError(
                f'{name}: cannot read {exc.filename or info["img_path"]}: '
                f'{exc.strerror} (check the file\'s permissions and the '
                'disk).')
        if isinstance(step, LOADING_STEPS):
            what = 'label' if isinstance(step, LoadAnnotations) else 'image'
            path = info.get('seg_map_path' if what == 'label' else 'img_path')
            return UserInputError(
                f'{name}: cannot decode {what} {path}: {reason}. Is the file '
                'truncated or not an image? Re-extract it, or remove its id '
                'from the split file.')
        loader = 'val_dataloader (or test_dataloader)' if self.test_mode \
            else 'train_dataloader'
        settings = ' '.join(repr(step).split())
        return UserInputError(
            f'{name}: pipeline step {index}, {type(step).__name__}, failed on '
            f'{info.get("img_path")}: {reason}. Its settings '
            f'({settings[:200]}) come from the config or --cfg-options '
            f'{loader}.dataset.pipeline.{index}: check them.')

    def locate_files(self, data_list):
        """Hook to fix up file paths before they are checked."""
        return data_list


def check_data_folders(cfg, splits):
    """Stop with :meth:`CheckedFileListMixin.folder_problem`'s line when a
    folder or split file of the config's ``splits`` (``'train'``, ``'val'``,
    ``'test'``) is missing: before a run is launched (on every rank, in the
    queue), not after its model is built. Only the paths are joined here
    (``lazy_init``); datasets of other classes are left to themselves."""
    from mmseg.registry import DATASETS
    for split in splits:
        dataset = (cfg.get(f'{split}_dataloader') or {}).get('dataset')
        if not isinstance(dataset, dict) or 'type' not in dataset:
            continue
        built = DATASETS.build(dict(dataset, lazy_init=True, pipeline=[]))
        if isinstance(built, CheckedFileListMixin):
            problem = built.folder_problem()
            if problem:
                raise UserInputError(problem)
