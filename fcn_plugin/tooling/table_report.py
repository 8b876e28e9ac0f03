"""The table ``tools/reproduce_table.py`` writes: ``table.json`` and
``table.md``, in the reference's layout (mIoU average and best per row over
its runs, the reference's own beside them, training time per run).

The average and best are over the runs that were scored; a row always says
how many of how many runs it holds, so a table is never an average over a
different number of runs without saying so.
"""
import json
import os.path as osp
import socket
import statistics
from datetime import datetime

from .output_files import write_text
from .reference_table import REFERENCE_PROFILE, reference_results, table_rows


def _avg_best(values):
    values = [v for v in values if v is not None]
    if not values:
        return None, None
    return round(statistics.fmean(values), 2), max(values)


def row_summary(config, runs):
    """``table.json``'s entry for ``config`` and its :class:`TableRun` s."""
    entries = []
    for run in runs:
        record = run.record
        entry = {'seed': run.seed, 'work_dir': run.work_dir,
                 'miou': record.get('miou'),
                 'train_seconds': record.get('train_seconds'),
                 'checkpoint': record.get('checkpoint'),
                 'status': record.get('status', 'not trained')}
        if 'miou_full_resolution' in record:
            entry['miou_full_resolution'] = record['miou_full_resolution']
        entries.append(entry)
    avg, best = _avg_best(e['miou'] for e in entries)
    row = {'config': config, 'runs': entries, 'runs_expected': len(runs),
           'runs_scored': sum(e['miou'] is not None for e in entries),
           'miou_avg': avg, 'miou_best': best,
           'reference': reference_results(config)}
    if any('miou_full_resolution' in e for e in entries):
        full_avg, full_best = _avg_best(
            e.get('miou_full_resolution') for e in entries)
        row['full_resolution'] = {'miou_avg': full_avg,
                                  'miou_best': full_best}
    return row


def machine():
    """The machine's name and what it computes on."""
    import torch

    from .arguments import default_device
    from .benchmark import device_name
    device = device_name(default_device())
    return f'{socket.gethostname()} ({device}), torch {torch.__version__}'


def _duration(seconds):
    if seconds is None:
        return '-'
    if seconds >= 3600:
        return f'{seconds / 3600:.1f} h'
    return f'{seconds / 60:.1f} min' if seconds >= 120 else f'{seconds:.0f} s'


def _number(value):
    return '-' if value is None else f'{value:.2f}'


def markdown(table):
    """``table.md`` for ``table`` (what :func:`write_table` writes)."""
    order = list(table_rows())
    lines = [
        "# The reference's table, reproduced", '',
        f"{table['runs']} run(s) per row in {table['work_root']}; "
        f"{table['made']} on {table['machine']}.", '',
        '| row | config | runs | mIoU avg | mIoU best | reference avg / best '
        '| train time per run |', '|---|---|---|---|---|---|---|']
    for row in table['rows']:
        name = osp.basename(row['config'])
        number = order.index(name) + 1 if name in order else '-'
        ref = row['reference']
        ref_text = f"{ref['miou_avg']:.2f} / {ref['miou_best']:.2f}" \
            if ref else '-'
        times = ', '.join(_duration(r['train_seconds']) for r in row['runs'])
        held = f"{row['runs_scored']} of {row['runs_expected']}"
        lines.append(f"| {number} | {osp.splitext(name)[0]} | {held} | "
                     f"{_number(row['miou_avg'])} | {_number(row['miou_best'])}"
                     f" | {ref_text} | {times} |")
        if 'full_resolution' in row:
            full = row['full_resolution']
            lines.append(
                f"| {number} | {osp.splitext(name)[0]}, scored at full "
                f"resolution | {held} | {_number(full['miou_avg'])} | "
                f"{_number(full['miou_best'])} | - | (the same runs) |")
    lines += ['', '| config | run | seed | mIoU | status | checkpoint | train '
              'time | work dir |', '|---|---|---|---|---|---|---|---|']
    for row in table['rows']:
        for k, run in enumerate(row['runs'], 1):
            full = run.get('miou_full_resolution')
            miou = _number(run['miou']) + (
                f' ({_number(full)} full resolution)' if full else '')
            lines.append(
                f"| {osp.splitext(osp.basename(row['config']))[0]} | {k} | "
                f"{run['seed']} | {miou} | {run['status']} | "
                f"{osp.basename(run['checkpoint'] or '-')} | "
                f"{_duration(run['train_seconds'])} | {run['work_dir']} |")
    if table.get('profile'):
        profile = table['profile']
        lines += ['', f"Profile ({profile['model']}, batch 1, "
                  f"{profile['device']}):", '',
                  '| input (HxW) | FLOPs (G) | params (M) | FPS | reference '
                  'FLOPs (G) / FPS (2080 Ti) |', '|---|---|---|---|---|']
        for entry in profile['rows']:
            h, w = entry['shape']
            fps, flops, _ = REFERENCE_PROFILE.get((h, w), (None,) * 3)
            ref = f'{flops:.2f} / {fps:.2f}' if fps else '-'
            lines.append(f"| {h}x{w} | {entry['flops_g']:.2f} | "
                         f"{entry['params_m']:.2f} | {entry['fps']:.2f} | "
                         f'{ref} |')
    return '\n'.join(lines) + '\n'


def write_table(work_root, table):
    """Write ``table.json`` and ``table.md`` (each complete or not at all);
    return the lines saying what was written or replaced."""
    table = dict(table, made=datetime.now().strftime('%Y-%m-%d %H:%M'),
                 machine=machine())
    return [write_text(osp.join(work_root, name), text) for name, text in (
        ('table.json', json.dumps(table, indent=2) + '\n'),
        ('table.md', markdown(table)))]
