"""Nothing a user wrote is replaced: each mistake built for real, the
user's bytes compared afterwards (the deploy tools' cases: test_deploy)."""
import os

from conftest import REPO, run_tool


def test_work_dir_holding_the_config_is_refused_and_the_config_kept(
        tmp_path):
    config = tmp_path / 'my_fcn.py'
    config.write_text("# mine, with a comment\n"
                      "_base_ = ['fcn_plugin::fcn/fcn_r101_voc_321.py']\n"
                      "model = dict(decode_head=dict(num_classes=5))\n")
    before = config.read_bytes()
    for work_dir in (str(tmp_path), str(tmp_path / 'sub' / '..'), '.'):
        (tmp_path / 'sub').mkdir(exist_ok=True)
        proc = run_tool(os.path.join(REPO, 'tools', 'train.py'), str(config), '--work-dir',
                        work_dir, check=False, cwd=str(tmp_path))
        assert proc.returncode == 1, proc.stderr[-2000:]
        assert 'Traceback' not in proc.stderr, proc.stderr[-2000:]
        line, = proc.stderr.strip().splitlines()
        assert line.startswith(f'error: --work-dir {work_dir} holds the '
                               f'config {config}'), line
        assert 'use another --work-dir (e.g. work_dirs/my_fcn)' in line
    assert config.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ['my_fcn.py', 'sub']


def test_converter_refuses_to_write_onto_its_source(tmp_path,
                                                    tiny_checkpoint):
    """fcn2mmseg.py with dst naming src through a symbolic link (the
    earlier check compared spellings only)."""
    import shutil
    src = tmp_path / 'fcn.pth'
    shutil.copy(tiny_checkpoint, src)
    os.symlink(src, tmp_path / 'link.pth')
    before = src.read_bytes()
    proc = run_tool('tools/model_converters/fcn2mmseg.py', str(src),
                    str(tmp_path / 'link.pth'), check=False)
    assert proc.returncode == 1, proc.stderr[-2000:]
    line, = proc.stderr.strip().splitlines()
    assert 'writing it would replace that input' in line, line
    assert src.read_bytes() == before
