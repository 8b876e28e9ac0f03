"""Every tool's command line: one parser class, so each promise about
arguments is kept in one place for all the tools, including the next one.

- A bad argument is one ``error:`` line naming the option, exit code 1
  (argparse prints its usage and exits 2).
- Counts, sizes and switches are parsed into their valid ranges
  (:func:`whole_number`, :func:`positive_number`, :func:`fraction`,
  :func:`switch`): ``--iters -1`` or
  ``--workers 0`` never reach the tool.
- Worker pools are capped at the work there is and the cores
  (:func:`pool_size`).
- Every input and output path is declared (:meth:`ToolParser.add_input`,
  :meth:`ToolParser.add_output`): after parsing, an output that is, or
  would replace, an input (however spelt, through symbolic links, or with
  an input inside an output folder) is refused with one line
  (:func:`~fcn_plugin.tooling.output_files.refuse_outputs_onto_inputs`).
  ``tests/test_tool_contract.py`` finds every tool's parser
  (``build_parser()``) and tries each input as each output's value.
"""
import argparse
import sys

from ..errors import UserInputError


def whole_number(minimum=1, maximum=None):
    """An argparse type: a whole number in ``[minimum, maximum]``."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f'{text!r} is not a whole number') from None
        if value < minimum or (maximum is not None and value > maximum):
            upper = f' and at most {maximum}' if maximum is not None else ''
            raise argparse.ArgumentTypeError(
                f'{value} is out of range: at least {minimum}{upper}')
        return value
    parse.__name__ = 'whole number'  # argparse names it in its messages
    parse.minimum, parse.maximum = minimum, maximum
    return parse


def positive_number(text):
    """An argparse type: a number above 0 (seconds, an interval)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r} is not a number') from None
    if not value > 0:  # NaN too
        raise argparse.ArgumentTypeError(f'{value} is out of range: above 0')
    return value


def fraction(text):
    """An argparse type: a number in [0, 1] (an opacity, a ratio)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r} is not a number') from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f'{value} is out of range [0, 1]')
    return value


SWITCH_VALUES = {'true': True, '1': True, 'yes': True, 'on': True,
                 'false': False, '0': False, 'no': False, 'off': False}


def switch(value, name='the option'):
    """``True``/``False`` from a bool or its spelling (``True``, ``no``,
    ``1``...); anything else is a :class:`UserInputError` naming ``name``
    (Python's ``bool('no')`` is ``True``)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    parsed = SWITCH_VALUES.get(str(value).strip().lower())
    if parsed is None:
        raise UserInputError(
            f'{name}={value!r}: expected True or False (also yes/no, on/off, '
            '1/0)')
    return parsed


def pool_size(requested, work, cores=None):
    """Processes for ``work`` items: the requested count, at most one per
    item and per core this process may use."""
    from ..engine.concise_console_runner import usable_cores
    cores = cores or usable_cores()
    return max(1, min(requested or cores, work, cores))


DEVICE_HELP = 'cpu, cuda or cuda:N; default: cuda when a GPU is present, ' \
    'else cpu'


def default_device():
    """``'cuda'`` when torch sees a GPU, else ``'cpu'``: every tool's
    ``--device`` default (mmseg's inferencer and demos choose so too)."""
    import torch
    return 'cuda' if torch.cuda.is_available() else 'cpu'


def workers_option(parser, what='processes'):
    """``--workers``: a count, default one per core (pools are capped at
    the work there is, :func:`pool_size`)."""
    from ..engine.concise_console_runner import usable_cores
    parser.add_argument('--workers', type=whole_number(1),
                        default=usable_cores(),
                        help=f'{what} (at most one per core and per file)')


class DefaultsHelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """argparse's help with each option's default, except where there is
    none to offer: a required option, an option that is off or unset unless
    given (``None``/``False``, which typed back would not parse), or a help
    text that states its default itself."""

    def _get_help_string(self, action):
        if action.required or action.default in (None, False) or \
                'default' in action.help:
            return action.help
        return super()._get_help_string(action)


class ToolParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` with the tools' contract (module
    docstring): one-line errors, declared inputs and outputs, checked."""

    def __init__(self, description=None, **kwargs):
        kwargs.setdefault('formatter_class', DefaultsHelpFormatter)
        super().__init__(description=description, **kwargs)
        self.inputs = []   # (dest, kind) of the arguments the tool reads
        self.outputs = []  # (dest, kind) of those it writes

    def error(self, message):
        """One line, exit 1 (argparse: usage and exit 2)."""
        print(f'error: {self.prog}: {message} (see --help)', file=sys.stderr)
        sys.exit(1)

    def add_input(self, *names, kind='file', **kwargs):
        """An argument naming something the tool reads: ``kind`` 'file',
        'folder' or 'path' (either)."""
        action = self.add_argument(*names, **kwargs)
        self.inputs.append((action.dest, kind))
        return action

    def add_output(self, *names, kind='file', **kwargs):
        """An argument naming what the tool writes: a 'file', a 'folder' it
        writes files named after its inputs into (it may hold no input), or
        a 'workdir' of the tool's own file names."""
        action = self.add_argument(*names, **kwargs)
        self.outputs.append((action.dest, kind))
        return action

    def parse_known_args(self, args=None, namespace=None):
        """argparse's, then the outputs checked against the inputs
        (``parse_args`` comes through here too)."""
        parsed, extras = super().parse_known_args(args, namespace)
        self._check_outputs(parsed)
        return parsed, extras

    def _check_outputs(self, parsed):
        from .output_files import refuse_outputs_onto_inputs
        outputs = [(self._option_name(dest), kind, getattr(parsed, dest))
                   for dest, kind in self.outputs]
        inputs = [(self._option_name(dest), getattr(parsed, dest))
                  for dest, _ in self.inputs]
        try:
            refuse_outputs_onto_inputs(outputs, inputs)
            if any(value for _, _, value in outputs) and \
                    isinstance(getattr(parsed, 'config', None), str):
                refuse_outputs_onto_inputs(outputs, [(
                    f'dataset folder of {parsed.config}',
                    self._dataset_folders(parsed))])
        except UserInputError as exc:
            self.error(str(exc))

    @staticmethod
    def _dataset_folders(parsed):
        """A config's dataset folders, with the run's ``--cfg-options``."""
        from .builder import load_config, merge_options
        from .output_files import dataset_folders
        cfg = load_config(parsed.config)
        if isinstance(getattr(parsed, 'cfg_options', None), dict):
            merge_options(cfg, parsed.cfg_options)
        return dataset_folders(cfg)

    def _option_name(self, dest):
        for action in self._actions:
            if action.dest == dest:
                return action.option_strings[-1] if action.option_strings \
                    else dest
        return dest
