"""What ``tools/`` and ``benchmarks/`` share, kept out of the registered
plugin: the one contract every tool keeps (``arguments``: its command line;
``output_files``: what it writes; ``worker_pool``: its processes; ``cli``:
one-line errors and signals), how a tool joins a distributed launch
(``launchers``), building a model from a config (``builder``,
``config_checks``), image reading and inference (``inference``,
``streaming_inference``), timing (``benchmark``, ``train_benchmark``), the
reference's own figures and the table of runs (``reference_table``,
``table_runs``, ``table_report``) and the synthetic datasets in the real
layouts (``synthetic_data``). Nothing here registers anything;
``import fcn_plugin`` does not import it.
"""
