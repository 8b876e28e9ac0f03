"""The docs' short "does it run" training: ``train_cfg.val_begin`` beyond
``max_iters`` skips the validation mmengine runs at ``max_iters`` whatever
``val_interval`` says (shown by the same run without it)."""
from conftest import TINY_MODEL, config, data_root_options, run_tool

SHORT = [*TINY_MODEL, 'train_cfg.max_iters=2', 'train_dataloader.batch_size=2',
         'train_dataloader.num_workers=0',
         'train_dataloader.persistent_workers=False',
         'val_dataloader.num_workers=0',
         'val_dataloader.persistent_workers=False']


def test_val_begin_past_max_iters_skips_the_final_validation(tmp_path,
                                                             voc_root):
    def train(work_dir, *extra):
        proc = run_tool('tools/train.py', config('fcn_r101_voc_321.py'),
                        '--work-dir', str(work_dir), '--cfg-options', *SHORT,
                        *data_root_options(voc_root, ('train', 'val')),
                        *extra)
        assert (work_dir / 'iter_2.pth').is_file()
        return proc.stdout + proc.stderr

    assert 'Iter(val)' in train(tmp_path / 'plain')  # val_interval is 1000
    assert 'Iter(val)' not in train(tmp_path / 'short',
                                    'train_cfg.val_begin=3')
