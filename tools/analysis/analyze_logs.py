#!/usr/bin/env python
"""Plot training curves (loss, lr, mIoU) from the JSON log of a run:
mmseg's own ``analysis_tools/analyze_logs.py`` with the plugin's
environment (seaborn, which it imports, is installed with the plugin),
flags and all.

    python tools/analysis/analyze_logs.py work_dirs/fcn_r101_voc_321/*/vis_data/scalars.json --keys loss --out loss.png

Checked first, each in one line: every log is mmengine's JSON log with
records (the text ``.log`` beside it is not), every --keys is in it (else
its keys are listed), and --out is none of the logs. The picture is written
as every tool's outputs are (complete or not at all).
"""
import json
import os.path as osp
import sys

from fcn_plugin.errors import UserInputError
from fcn_plugin.tooling.arguments import ToolParser
from fcn_plugin.tooling.cli import run_mmseg_tool, user_errors
from fcn_plugin.tooling.output_files import StagedFolder

JSON_LOG = '<work_dir>/<timestamp>/vis_data/scalars.json'


def build_parser():
    """mmseg's arguments, with the logs and --out declared."""
    parser = ToolParser(description='Analyze Json Log')
    parser.add_input('json_logs', nargs='+',
                     help='path of train log in json format')
    parser.add_argument('--keys', nargs='+', default=['mIoU'],
                        help='the metric that you want to plot')
    parser.add_argument('--title', help='title of figure')
    parser.add_argument('--legend', nargs='+', default=None,
                        help='legend of each plot')
    parser.add_argument('--backend', default=None, help='backend of plt')
    parser.add_argument('--style', default='dark', help='style of plt')
    parser.add_output('--out', default=None)
    return parser


def check_log(path, keys):
    """One line for a log mmseg's script would fail on or plot empty."""
    if not osp.isfile(path):
        raise UserInputError(f'no log {path}: give {JSON_LOG}')
    records = []
    with open(path, encoding='utf-8', errors='replace') as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if not isinstance(record, dict):
                raise UserInputError(
                    f'{path}, line {number}, is not a JSON record: this takes '
                    f"mmengine's JSON log, {JSON_LOG} (not the text .log)")
            records.append(record)
    if not records:
        raise UserInputError(f'{path} has no records yet: nothing to plot')
    if not path.endswith('.json'):  # mmseg's script asserts the suffix
        raise UserInputError(f'{path}: a JSON log is named *.json')
    found = sorted({k for r in records for k in r} - {'step'})
    missing = [k for k in keys if k not in found]
    if missing:
        raise UserInputError(
            f'{path} has no {", ".join(missing)} (--keys); its keys: '
            f'{", ".join(found)}')


def _out_replaced(argv, path):
    """``argv`` with its --out value replaced by ``path``."""
    out, skip = [], False
    for i, arg in enumerate(argv):
        if skip:
            skip = False
        elif arg == '--out':
            out += [arg, path]
            skip = True
        elif arg.startswith('--out='):
            out.append(f'--out={path}')
        else:
            out.append(arg)
    return out


def main(argv):
    args = build_parser().parse_args(argv)
    for path in args.json_logs:
        check_log(path, args.keys)
    tool = 'analysis_tools/analyze_logs.py'
    if args.out is None:
        return run_mmseg_tool(tool, argv, takes_config=False)
    staging = StagedFolder(osp.dirname(osp.abspath(args.out)))
    with staging as tmp:
        staged = osp.join(tmp, osp.basename(args.out))
        run_mmseg_tool(tool, _out_replaced(argv, staged), takes_config=False)
    print('\n'.join(staging.said))
    return 0


if __name__ == '__main__':
    with user_errors():
        sys.exit(main(sys.argv[1:]))
