"""torchrun (``python -m torch.distributed.run``), its failures on one line.

When a task of a launch fails, torchrun ends in a traceback of its own
(``ChildFailedError``, with a table of the failed ranks) below the task's
error; when torchrun itself gets SIGTERM or Ctrl-C, in a ``SignalException``
traceback. ``tools/dist_train.sh`` and ``dist_test.sh`` run torchrun through
this module, which ends those cases in one ``error:`` line and torchrun's
exit status instead (1, or 128 + the signal). Everything else is torchrun's.

    python -m fcn_plugin.tooling.torchrun [torchrun's arguments]
"""
import signal
import sys


def failure_line(exc):
    """One line for torchrun's ``ChildFailedError``: which ranks failed,
    how, and where their own error is."""
    failed = []
    for rank, failure in sorted(exc.failures.items()):
        code = failure.exitcode
        how = (f'killed by {signal.Signals(-code).name}' if code < 0 and
               -code in signal.valid_signals() else f'exit code {code}')
        failed.append(f'rank {rank} ({how})')
    first, _ = exc.get_first_failure()
    return (f'{len(failed)} task(s) of the launch failed: {", ".join(failed)}'
            f'; the first, rank {first}, printed its error above')


def main(argv):
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import \
        ChildFailedError
    from torch.distributed.run import main as torchrun
    try:
        torchrun(argv)
    except ChildFailedError as exc:
        print(f'error: {failure_line(exc)}', file=sys.stderr)
        return 1
    except SignalException as exc:
        name = signal.Signals(exc.sigval).name
        print(f'error: {name}: the launch was stopped; its tasks were '
              'passed the signal', file=sys.stderr)
        return 128 + exc.sigval
    except KeyboardInterrupt:
        print('error: SIGINT: the launch was stopped', file=sys.stderr)
        return 128 + signal.SIGINT
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
