"""mmseg's analysis tools on a trained row, through their thin wrappers
under tools/analysis/ (mmseg's scripts run directly die on mmcv-lite, and
browse_dataset on any OpenCV 4): each run as a user runs it, its picture
checked as a real image."""
import glob
import os

import cv2
import pytest

from conftest import TINY_MODEL, config, data_root_options, run_tool

ROW = config('fcn_r101_voc_321_fp32.py')


def _is_picture(path):
    image = cv2.imread(str(path))
    return image is not None and image.shape[0] > 16 and image.std() > 0


def test_browse_dataset_draws_every_training_sample(tmp_path, voc_root):
    run_tool('tools/analysis/browse_dataset.py', ROW, '--not-show',
             '--output-dir', str(tmp_path / 'browse'), '--cfg-options',
             *data_root_options(voc_root, ('train',)))
    with open(os.path.join(voc_root, 'ImageSets', 'Segmentation',
                           'trainaug.txt')) as f:
        ids = f.read().split()
    pictures = sorted(os.listdir(tmp_path / 'browse'))
    assert pictures == sorted(f'{i}.jpg' for i in ids)
    assert all(_is_picture(tmp_path / 'browse' / p) for p in pictures)


@pytest.mark.slow
def test_confusion_matrix_of_a_test_run(tmp_path, voc_root, tiny_checkpoint):
    options = ['--cfg-options', *TINY_MODEL,
               *data_root_options(voc_root, ('test',))]
    run_tool('tools/test.py', ROW, tiny_checkpoint, '--work-dir',
             str(tmp_path / 'wd'), '--out', str(tmp_path / 'preds'),
             *options)
    run_tool('tools/analysis/confusion_matrix.py', ROW,
             str(tmp_path / 'preds'), str(tmp_path / 'cm'), *options)
    assert _is_picture(tmp_path / 'cm' / 'confusion_matrix.png')


def test_analyze_logs_plots_a_key_of_the_log(tmp_path, tiny_checkpoint):
    """A 1-iteration run logs its validation, not its loss (logged every 50
    iterations): the loss is refused by name, mIoU plotted."""
    scalars, = glob.glob(os.path.join(os.path.dirname(tiny_checkpoint), '*',
                                      'vis_data', 'scalars.json'))
    missing = run_tool('tools/analysis/analyze_logs.py', scalars, '--keys',
                       'loss', '--out', str(tmp_path / 'loss.png'),
                       check=False)
    assert missing.returncode == 1 and missing.stderr.count('\n') == 1
    assert 'has no loss (--keys); its keys: aAcc, data_time, mAcc, mIoU' in \
        missing.stderr
    assert not (tmp_path / 'loss.png').exists()
    done = run_tool('tools/analysis/analyze_logs.py', scalars, '--keys',
                    'mIoU', '--out', str(tmp_path / 'miou.png'))
    assert f'wrote {tmp_path / "miou.png"}' in done.stdout
    assert _is_picture(tmp_path / 'miou.png')
    assert os.listdir(tmp_path) == ['miou.png']  # no temporary left
