"""README.md and docs/: every Python block runs as written (with the plugin
installed from its wheel, in a folder holding what the blocks name), every
shell command names files, configs, make targets, extras and flags that
exist, and every relative link (and its #anchor) resolves."""
import configparser
import glob
import os
import re
import shlex
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from conftest import REPO, run_tool

from fcn_plugin.tooling.builder import build_segmentor, load_config

PAGES = [os.path.join(REPO, 'README.md'),
         *sorted(glob.glob(os.path.join(REPO, 'docs', '*.md')))]


def _text(page):
    with open(page, encoding='utf-8') as f:
        return f.read()


def blocks(language):
    """``(page, code)`` of every fenced block in that language."""
    return [(page, code) for page in PAGES for code in re.findall(
        rf'```{language}\n(.*?)```', _text(page), re.S)]


def commands():
    """Each shell command of the bash blocks (continuations joined,
    comments dropped), as ``(page, tokens)``."""
    found = []
    for page, code in blocks('bash'):
        for line in code.replace('\\\n', ' ').splitlines():
            line = line.split(' #')[0].strip()
            if line and not line.startswith('#'):
                found.append((os.path.basename(page),
                              shlex.split(line, comments=True)))
    return found


def test_pages_have_blocks_and_the_readme_is_short():
    assert blocks('python') and len(commands()) > 40
    readme = _text(PAGES[0]).splitlines()
    assert len(readme) <= 200
    setup = [i for i, line in enumerate(readme)
             if line.startswith(('make demo', 'make test'))]
    assert len(setup) == 2 and max(setup) < 40


@pytest.mark.slow
@pytest.mark.parametrize('index', range(len(blocks('python'))))
def test_python_block_runs(tmp_path, wheel_site, index):
    """From the installed wheel, in a folder with the configs, a VOC row
    checkpoint (random weights, mmseg format) and a photo."""
    page, code = blocks('python')[index]
    os.symlink(os.path.join(REPO, 'configs'), tmp_path / 'configs')
    (tmp_path / 'checkpoints').mkdir()
    model = build_segmentor(load_config(
        os.path.join(REPO, 'configs', 'fcn_r101_voc_321.py')))
    torch.save({'meta': {}, 'state_dict': model.state_dict()},
               tmp_path / 'checkpoints' / 'fcn_voc_mmseg.pth')
    rng = np.random.default_rng(0)
    cv2.imwrite(str(tmp_path / 'photo.jpg'),
                rng.integers(0, 255, (120, 160, 3), dtype=np.uint8))
    proc = subprocess.run(
        [sys.executable, '-c', code], cwd=tmp_path, capture_output=True,
        text=True, timeout=600, env=dict(os.environ, CUDA_VISIBLE_DEVICES='',
                                         PYTHONPATH=str(wheel_site)))
    assert proc.returncode == 0, (page, proc.stderr[-3000:])
    # what each block says it shows
    if 'inference_model(' in code:
        assert 'torch.Size([1, 120, 160])' in proc.stdout, proc.stdout
        assert (tmp_path / 'out' / 'vis' / 'photo.jpg').is_file()
    if 'get_config(' in code:
        assert '21 (321, 321)' in proc.stdout, proc.stdout


def _make_targets():
    with open(os.path.join(REPO, 'Makefile')) as f:
        return set(re.findall(r'^([\w-]+):', f.read(), re.M))


def _extras():
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(REPO, 'setup.cfg'))
    return set(cfg['options.extras_require'])


def command_problems(tokens, make_targets, extras, helps):
    """What a command names that does not exist (empty if nothing)."""
    problems = []
    scripts = [t for t in tokens
               if re.fullmatch(r'(tools|benchmarks)/[\w/.-]+\.(py|sh)', t)]
    for token in tokens:
        path = token.split('=')[-1]
        if re.fullmatch(r'(tools|benchmarks|configs)/[\w/.-]+\.\w+', path) \
                and not os.path.exists(os.path.join(REPO, path)):
            problems.append(f'no file {path}')
    if tokens[0] == 'make' and len(tokens) > 1 and '=' not in tokens[1] \
            and tokens[1] not in make_targets:
        problems.append(f'no make target {tokens[1]}')
    for token in tokens:
        for names in re.findall(r'\.\[([\w,]+)\]', token):
            problems += [f'no extra [{n}]' for n in names.split(',')
                         if n not in extras]
    if scripts and scripts[0].endswith('.py') and tokens[0] == 'python':
        flags = [t.split('=')[0] for t in tokens if t.startswith('--')]
        problems += [f'{scripts[0]} has no {flag}' for flag in flags
                     if flag not in helps(scripts[0])]
    return problems


def test_every_command_names_what_exists():
    helps = {}

    def help_of(script):
        if script not in helps:
            proc = run_tool(script, '--help', check=False)
            helps[script] = proc.stdout + proc.stderr
        return helps[script]
    targets, extras = _make_targets(), _extras()
    problems = [f'{page}: {" ".join(tokens)}: {p}'
                for page, tokens in commands()
                for p in command_problems(tokens, targets, extras, help_of)]
    assert not problems, '\n'.join(problems)


def test_command_check_finds_what_does_not_exist():
    """The check itself, on commands built to be wrong."""
    def helps(script):
        return '--shape --iters'
    targets, extras = _make_targets(), _extras()
    assert command_problems(['python', 'tools/no_such.py'], targets, extras,
                            helps) == ['no file tools/no_such.py']
    assert command_problems(['make', 'tset'], targets, extras, helps) == [
        'no make target tset']
    assert command_problems(['pip', 'install', '-e', '.[openmmlab,lte]'],
                            targets, extras, helps) == ['no extra [lte]']
    assert command_problems(
        ['python', 'tools/analysis/benchmark.py', 'configs/nope.py',
         '--shape', '1', '2', '--itres', '3'], targets, extras, helps) == [
        'no file configs/nope.py',
        'tools/analysis/benchmark.py has no --itres']


def slug(heading):
    """GitHub's anchor of a heading."""
    text = re.sub(r'[^\w\- ]', '', heading.strip().lower())
    return text.replace(' ', '-')


def anchors(page):
    text = re.sub(r'```.*?```', '', _text(page), flags=re.S)
    return {slug(h) for h in re.findall(r'^#+ (.*)$', text, re.M)}


def link_problems(page):
    """Relative links of ``page`` whose file or #anchor does not exist."""
    text = re.sub(r'```.*?```', '', _text(page), flags=re.S)
    problems = []
    for target in re.findall(r'\]\(([^)\s]+)\)', text):
        if re.match(r'[a-z]+:', target):
            continue  # http(s), mailto
        path, _, anchor = target.partition('#')
        full = os.path.normpath(os.path.join(os.path.dirname(page), path)) \
            if path else page
        if not os.path.exists(full):
            problems.append(f'{target}: no such file')
        elif anchor and full.endswith('.md') and anchor not in anchors(full):
            problems.append(f'{target}: no heading #{anchor}')
    return problems


def test_every_relative_link_resolves():
    problems = [f'{os.path.relpath(p, REPO)}: {problem}' for p in PAGES
                for problem in link_problems(p)]
    assert not problems, '\n'.join(problems)


def test_link_check_finds_broken_links(tmp_path):
    page = tmp_path / 'page.md'
    (tmp_path / 'other.md').write_text('# A heading: `with` code\n')
    page.write_text('# Here\n[a](other.md#a-heading-with-code) [b](#here) '
                    '[c](missing.md) [d](other.md#nope) [e](#gone) '
                    '[f](https://example.com/x)\n```\n[g](in_code.md)\n```\n')
    assert link_problems(str(page)) == ['missing.md: no such file',
                                        'other.md#nope: no heading #nope',
                                        '#gone: no heading #gone']
