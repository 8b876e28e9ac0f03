"""One contract for every tool in tools/ and benchmarks/, tested over all of
them (a new tool is covered without a new test):

- each has ``build_parser()``, a ToolParser (declared inputs and outputs,
  one-line errors, counts in range);
- every output argument given any input argument's value (as given, as
  ``dir/./name``, through a symbolic link; for an output folder, the folder
  holding the input) ends in one ``error:`` line, exit 1, with every input's
  bytes unchanged and nothing written;
- every count, size and switch argument refuses a value out of its range
  with one line naming the option;
- each runs its work inside ``cli.user_errors`` (a user error, Ctrl-C,
  SIGTERM or SIGHUP: one line, exit 1 or 128 + signal; tested with the
  faults themselves in test_tool_faults.py, test_resume.py and others).
"""
import argparse
import ast
import functools
import glob
import os
import runpy

import pytest
from conftest import REPO, run_tool

from fcn_plugin.tooling.arguments import ToolParser

TOOLS = sorted(
    os.path.relpath(p, REPO) for p in
    glob.glob(os.path.join(REPO, 'tools', '**', '*.py'), recursive=True) +
    glob.glob(os.path.join(REPO, 'benchmarks', '*.py')))


@functools.lru_cache(maxsize=None)
def parser_of(tool):
    """The tool's own parser, from its ``build_parser()``."""
    module = runpy.run_path(os.path.join(REPO, tool), run_name='probe')
    assert 'build_parser' in module, f'{tool} has no build_parser()'
    parser = module['build_parser']()
    assert isinstance(parser, ToolParser), tool
    return parser


def _main_block(tool):
    """The statements of the tool's ``if __name__ == '__main__':``."""
    with open(os.path.join(REPO, tool)) as f:
        module = ast.parse(f.read())
    blocks = [node.body for node in module.body if isinstance(node, ast.If)
              and ast.unparse(node.test) == "__name__ == '__main__'"]
    assert len(blocks) == 1, f"{tool}: no if __name__ == '__main__': block"
    return blocks[0]


def test_every_tool_runs_inside_user_errors():
    """Each statement of each tool's main block is ``with user_errors():``
    or a call of ``run_mmseg_tool`` (which enters it): nothing a tool does
    is outside the one place where errors and signals become one line."""
    for tool in TOOLS:
        for statement in _main_block(tool):
            text = ast.unparse(statement)
            assert text.startswith('with user_errors():') or (
                isinstance(statement, ast.Expr) and
                'run_mmseg_tool(' in text), f'{tool}: {text}'


def _positionals(parser):
    return [a for a in parser._actions if not a.option_strings]


def _action(parser, dest):
    return next(a for a in parser._actions if a.dest == dest)


def _make_input(folder, dest, kind):
    """A real file (or a folder holding one) with bytes of its own."""
    folder.mkdir(parents=True, exist_ok=True)
    if kind == 'folder':
        (folder / dest).mkdir()
        (folder / dest / 'kept.bin').write_bytes(os.urandom(64))
        return folder / dest
    path = folder / f'{dest}.bin'
    path.write_bytes(os.urandom(64))
    return path


def _argv(parser, values):
    """argv giving each dest in ``values`` its value (positionals in
    order), every other positional and required option a fresh path."""
    argv, options = [], []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        value = values.get(action.dest)
        if value is None and not (action.required or
                                  (not action.option_strings and
                                   action.nargs not in ('?', '*'))):
            continue
        value = str(value) if value is not None else \
            str(values['_fresh'] / action.dest)
        if action.option_strings:
            options += [action.option_strings[-1], value]
        else:
            argv.append(value)
    return argv + options


def _cases():
    cases = []
    for tool in TOOLS:
        parser = parser_of(tool)
        for out_dest, kind in parser.outputs:
            for in_dest, in_kind in parser.inputs:
                spellings = ['same', 'dot', 'link']
                if kind == 'folder':
                    spellings.append('holding folder')
                for spelling in spellings:
                    cases.append((tool, out_dest, in_dest, spelling))
    return cases


def test_every_tool_has_the_contracts_parser():
    assert len(TOOLS) >= 23
    for tool in TOOLS:
        parser_of(tool)
    writers = {t for t, *_ in _cases()}
    for tool in ('tools/infer.py', 'tools/analysis/benchmark.py',
                 'tools/analysis/browse_dataset.py',
                 'tools/model_converters/fcn2mmseg.py', 'tools/test.py',
                 'tools/train.py', 'tools/reproduce_table.py'):
        assert tool in writers, tool


@pytest.mark.parametrize('tool, out_dest, in_dest, spelling', _cases())
def test_an_output_onto_an_input_is_refused(tmp_path, tool, out_dest, in_dest,
                                            spelling):
    parser = parser_of(tool)
    inputs = {dest: _make_input(tmp_path / 'in', dest, kind)
              for dest, kind in parser.inputs}
    given = inputs[in_dest]
    if spelling == 'dot':
        given = given.parent / '.' / given.name
    elif spelling == 'link':
        (tmp_path / 'link').symlink_to(given)
        given = tmp_path / 'link'
    elif spelling == 'holding folder':
        given = given.parent
    values = dict(inputs, _fresh=tmp_path / 'fresh')
    values[out_dest] = given
    before = {p: p.read_bytes() for p in tmp_path.rglob('*') if p.is_file()}
    proc = run_tool(os.path.join(REPO, tool), *_argv(parser, values),
                    check=False, cwd=tmp_path,
                    timeout=300)
    assert proc.returncode == 1, (proc.stdout[-1000:], proc.stderr[-2000:])
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: ') and \
        'replace' in lines[0], proc.stderr
    after = {p: p.read_bytes() for p in tmp_path.rglob('*') if p.is_file()}
    assert after == before  # no input changed, nothing written
    assert not (tmp_path / 'fresh').exists()


def _range_cases():
    """``(tool, option, value out of range)`` of every count, size, number
    and fraction argument (their types are the contract's)."""
    bad = {'whole number': lambda t: str(t.minimum - 1),
           'positive_number': lambda t: '0', 'fraction': lambda t: '1.5'}
    cases = []
    for tool in TOOLS:
        for action in parser_of(tool)._actions:
            kind = getattr(action.type, '__name__', None)
            if kind in bad and action.option_strings:
                cases.append((tool, action.option_strings[-1],
                              bad[kind](action.type)))
    return cases


def test_range_cases_found():
    options = {(t, o) for t, o, _ in _range_cases()}
    for case in (('tools/prepare_cityscapes.py', '--workers'),
                 ('tools/check_dataset.py', '--workers'),
                 ('tools/analysis/benchmark.py', '--iters'),
                 ('tools/analysis/benchmark.py', '--batch'),
                 ('tools/analysis/benchmark.py', '--repeat'),
                 ('tools/infer.py', '--opacity'),
                 ('tools/reproduce_table.py', '--runs')):
        assert case in options, case


@pytest.mark.parametrize('tool, option, value', _range_cases())
def test_a_value_out_of_range_is_one_line(tmp_path, tool, option, value):
    parser = parser_of(tool)
    action = _action(parser, next(a.dest for a in parser._actions
                                  if option in a.option_strings))
    nargs = action.nargs if isinstance(action.nargs, int) else 1
    inputs = {dest: _make_input(tmp_path / 'in', dest, kind)
              for dest, kind in parser.inputs}
    argv = _argv(parser, dict(inputs, _fresh=tmp_path / 'fresh'))
    proc = run_tool(os.path.join(REPO, tool), *argv, option,
                    *[value] * nargs, check=False,
                    cwd=tmp_path, timeout=300)
    assert proc.returncode == 1, (proc.stdout[-1000:], proc.stderr[-2000:])
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: ') and \
        f'argument {option}' in lines[0] and 'out of range' in lines[0], \
        proc.stderr
