#!/usr/bin/env python
"""Build VOC 2012 "trainaug" (10,582 images) from VOC2012 + SBD.

    python tools/prepare_voc_aug.py data/VOCdevkit data/benchmark_RELEASE

Writes, inside VOCdevkit/VOC2012:
* SegmentationClassAug/<id>.png: SBD's cls/*.mat converted (mmseg's own
  tools/dataset_converters/voc_aug.py conversion) plus VOC's own train labels
  that SBD lacks (palette PNGs turned into index PNGs);
* ImageSets/Segmentation/trainaug.txt: VOC train + SBD train/val - VOC val.

Counts are verified (10,582 trainaug ids, each with an image and a label)
before anything is written; existing label files are not overwritten.
"""
import os
import os.path as osp
import runpy
import shutil
import sys

import numpy as np
from PIL import Image

from fcn_plugin.tooling.arguments import ToolParser, whole_number
from fcn_plugin.tooling.cli import mmseg_tool_path, user_errors
from fcn_plugin.tooling.output_files import write_text
from fcn_plugin.tooling.progress import Progress
from fcn_plugin.errors import UserInputError

TRAINAUG_SIZE = 10582


def build_parser():
    parser = ToolParser(description=__doc__.splitlines()[0])
    parser.add_input('devkit', kind='folder', help='VOCdevkit folder (holds '
                     'VOC2012/; SegmentationClassAug/ is written inside)')
    parser.add_input('sbd', kind='folder', help='SBD benchmark_RELEASE folder '
                     '(holds dataset/cls/*.mat, dataset/{train,val}.txt)')
    parser.add_argument('--expected-size', type=whole_number(1),
                        default=TRAINAUG_SIZE, help='trainaug size to verify')
    return parser


def read_ids(path):
    if not osp.isfile(path):
        raise UserInputError(f'{path} not found: is this the right folder?')
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def convert_label(name, sbd_set, sbd, voc, out_dir, converter):
    """Write ``out_dir/<name>.png`` from SBD's .mat or VOC's palette PNG."""
    if name in sbd_set:
        mat = osp.join(sbd, 'cls', name + '.mat')
        try:
            converter['convert_mat'](name + '.mat', osp.join(sbd, 'cls'),
                                     out_dir)
        except Exception as exc:  # noqa: BLE001 - named, nothing kept
            raise UserInputError(
                f'cannot convert {mat} ({type(exc).__name__}: {exc}): an SBD '
                "class label holds a 'GTcls' struct; is the file truncated or "
                'from another folder (inst/)? Re-extract benchmark.tgz. '
                'Nothing was written.') from exc
        source = mat
    else:  # palette PNG: its pixel values are the class indices
        source = osp.join(voc, 'SegmentationClass', name + '.png')
        with Image.open(source) as png:
            if png.mode not in ('P', 'L'):
                raise UserInputError(
                    f'{source} is a {png.mode} image, not a palette PNG of '
                    'class indices: re-extract VOCtrainval_11-May-2012.tar. '
                    'Nothing was written.')
            label = np.asarray(png)
        Image.fromarray(label.astype(np.uint8)).save(
            osp.join(out_dir, name + '.png'))
    check_written_label(osp.join(out_dir, name + '.png'), source,
                        osp.join(voc, 'JPEGImages', name + '.jpg'))


def check_written_label(path, source, image):
    """The label written from ``source`` is a class map for ``image``."""
    label = np.asarray(Image.open(path))
    with Image.open(image) as img:
        width, height = img.size
    values = np.unique(label)
    bad = values[(values > 20) & (values != 255)]
    if label.ndim != 2 or label.shape != (height, width) or bad.size:
        found = (f'values {bad.tolist()[:5]} outside 0..20 and 255'
                 if bad.size else f'shape {label.shape} for a {width}x'
                 f'{height} image')
        raise UserInputError(
            f'{source} does not give a VOC class map ({found}): is it from '
            'another dataset or folder? Re-extract it. Nothing was written.')


def main(argv=None):
    args = build_parser().parse_args(argv)
    voc = osp.join(args.devkit, 'VOC2012')
    sets = osp.join(voc, 'ImageSets', 'Segmentation')
    sbd = osp.join(args.sbd, 'dataset')
    voc_train = read_ids(osp.join(sets, 'train.txt'))
    voc_val = read_ids(osp.join(sets, 'val.txt'))
    sbd_ids = read_ids(osp.join(sbd, 'train.txt')) + read_ids(
        osp.join(sbd, 'val.txt'))
    # mmseg's own list logic (duplicates and val ids removed)
    converter = runpy.run_path(
        mmseg_tool_path('dataset_converters/voc_aug.py'))
    # sorted: mmseg's list is a set difference, in a new order every run
    trainaug = sorted(converter['generate_aug_list'](voc_train + sbd_ids,
                                                     voc_val))
    if len(trainaug) != args.expected_size:
        raise UserInputError(
            f'trainaug would have {len(trainaug)} ids, expected '
            f'{args.expected_size}: check that {sets} and {sbd} are the full '
            'VOC2012 and SBD releases (for another, deliberate subset: '
            f'--expected-size {len(trainaug)}). Nothing was written.')
    sbd_set = set(sbd_ids)
    missing_mat = [i for i in trainaug if i in sbd_set
                   and not osp.isfile(osp.join(sbd, 'cls', i + '.mat'))]
    from_voc = [i for i in trainaug if i not in sbd_set]
    missing_voc = [i for i in from_voc if not osp.isfile(
        osp.join(voc, 'SegmentationClass', i + '.png'))]
    missing_img = [i for i in trainaug + voc_val if not osp.isfile(
        osp.join(voc, 'JPEGImages', i + '.jpg'))]
    for what, ids in (('SBD cls/*.mat', missing_mat),
                      ('VOC SegmentationClass/*.png', missing_voc),
                      ('JPEGImages/*.jpg', missing_img)):
        if ids:
            raise UserInputError(
                f'{len(ids)} {what} files are missing (e.g. '
                f'{", ".join(ids[:5])}). Nothing was written.')

    out_dir = osp.join(voc, 'SegmentationClassAug')
    todo = [i for i in trainaug
            if not osp.isfile(osp.join(out_dir, i + '.png'))]  # keep those
    print(f'converting {len(todo)} labels ({len(trainaug) - len(todo)} '
          f'already in {out_dir}): SBD .mat and VOC train PNGs')
    # Everything is written to a staging folder first and moved into place
    # only when all of it converted: an error leaves nothing half-done.
    staging = out_dir + '.partial'
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    try:
        with Progress(len(todo), 'labels') as progress:
            for name in todo:
                convert_label(name, sbd_set, sbd, voc, staging, converter)
                progress.update()
        os.makedirs(out_dir, exist_ok=True)
        for name in todo:
            os.replace(osp.join(staging, name + '.png'),
                       osp.join(out_dir, name + '.png'))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    said = write_text(osp.join(sets, 'trainaug.txt'),
                      ''.join(i + '\n' for i in trainaug))
    print(f'{said}: {len(trainaug)} ids; val.txt: {len(voc_val)} ids')
    return 0


if __name__ == '__main__':
    with user_errors():
        sys.exit(main())
