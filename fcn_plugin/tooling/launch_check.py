"""Check a multi-process launch's arguments once, before anything starts.

``tools/dist_train.sh``, ``dist_test.sh`` and the SLURM scripts start N
copies of ``tools/train.py`` or ``test.py``, and each copy checks what the
user typed (:func:`~fcn_plugin.tooling.cli.check_user_options`): a misspelt
config or a missing dataset would print the same error N times, then the
launcher's own report of its failed tasks (torchrun: a ``ChildFailedError``
traceback; srun: ``tasks 0-1: Exited with exit code 1``), and on SLURM only
after the job has waited in the queue for its nodes. The scripts run this
check first, with ``$PYTHON`` on the machine the command was typed on: a
bad argument is one ``error:`` line, exit 1, and nothing is launched or
queued. The ranks still check for themselves (a node may see other files).

    python -m fcn_plugin.tooling.launch_check TOOL [TOOL's arguments]

``TOOL`` is the path of ``tools/train.py`` or ``tools/test.py``; its own
``build_parser`` reads the arguments, ``--launcher`` aside (this process is
not one of the launch's tasks).
"""
import os.path as osp
import runpy
import sys

from .cli import check_user_options, user_errors
from .launchers import without_launcher


def main(argv):
    with user_errors():
        tool, arguments = argv[0], without_launcher(argv[1:])
        build_parser = runpy.run_path(tool, run_name='launch_check')[
            'build_parser']
        check_user_options(arguments, osp.basename(tool) == 'train.py',
                           build_parser())
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
