"""Check a dataset's folders, split file and every listed file before training.

A missing image hours into training is the worst way to learn about it, so
the plugin's datasets verify, at construction, that the data root, the image
folder, the split file and every image/label file exist.
"""
import os.path as osp

from ..errors import UserInputError


def _first(paths, n=5):
    more = f' (+{len(paths) - n} more)' if len(paths) > n else ''
    return ', '.join(paths[:n]) + more


class CheckedFileListMixin:
    """Mixin for ``BaseSegDataset`` subclasses: fail early with clear messages.

    ``prepare_hint`` (class attribute) tells the user how to build the data.
    """

    prepare_hint = ''

    def load_data_list(self):
        name = type(self).__name__
        hint = f' {self.prepare_hint}' if self.prepare_hint else ''
        if self.data_root and not osp.isdir(self.data_root):
            raise UserInputError(
                f'{name}: data_root {self.data_root} does not exist. Put the '
                'dataset there (a symlink is fine) or set '
                f'train_dataloader.dataset.data_root / '
                f'val_dataloader.dataset.data_root.{hint}')
        img_dir = self.data_prefix.get('img_path')
        if img_dir and not osp.isdir(img_dir):
            raise UserInputError(
                f'{name}: image folder {img_dir} does not exist.{hint}')
        if self.ann_file and not osp.isfile(self.ann_file):
            raise UserInputError(
                f'{name}: split file {self.ann_file} does not exist.{hint}')
        data_list = self.locate_files(super().load_data_list())
        if not data_list:
            raise UserInputError(
                f'{name}: no samples found (split {self.ann_file or img_dir}).'
                f'{hint}')
        missing_img = [d['img_path'] for d in data_list
                       if not osp.isfile(d['img_path'])]
        missing_seg = [d['seg_map_path'] for d in data_list
                       if d.get('seg_map_path')
                       and not osp.isfile(d['seg_map_path'])]
        for kind, paths in (('image', missing_img), ('label', missing_seg)):
            if paths:
                raise UserInputError(
                    f'{name}: {len(paths)} of {len(data_list)} {kind} files '
                    f'listed by {self.ann_file or img_dir} are missing: '
                    f'{_first(paths)}.{hint}')
        return data_list

    def locate_files(self, data_list):
        """Hook to fix up file paths before they are checked."""
        return data_list
