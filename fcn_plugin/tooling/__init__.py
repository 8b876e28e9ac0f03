"""What ``tools/`` and ``benchmarks/`` share, kept out of the registered
plugin: building a model from a config (``builder``), the tools' command
line and one-line errors (``cli``, ``config_checks``), image listing for
inference (``inference``), timing (``benchmark``, ``train_benchmark``) and
the synthetic datasets in the real layouts (``synthetic_data``).
Nothing here registers anything; ``import fcn_plugin`` does not import it.
"""
