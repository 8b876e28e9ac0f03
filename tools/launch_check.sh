#!/usr/bin/env bash
# Sourced by tools/dist_run.sh and tools/slurm_request.sh: check_launch TOOL
# [TOOL args] checks, once, where the command is typed, before any task
# starts or anything is queued, that PYTHON (default: python, as in mmseg's
# scripts; every task runs it) imports torch, mmseg and fcn_plugin, then
# the tool's arguments (fcn_plugin.tooling.launch_check). Either fault is
# one error line and exit 1 (fail), not a traceback from every task.
# fail MESSAGE...: the launch scripts' one error line, exit 1.
fail() { echo "error: $*" >&2; exit 1; }
PYTHON=${PYTHON:-python}
TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

check_launch() {
    local tool=$1 where problem=''
    shift
    if ! where=$(command -v "$PYTHON"); then
        problem='is not a command here'
    else
        problem=$("$PYTHON" -c 'import importlib.util as u
print(", ".join(m for m in ("torch", "mmseg", "fcn_plugin")
               if u.find_spec(m) is None))' 2>/dev/null) \
            || problem="anything (not a Python 3 interpreter)"
        [ -z "$problem" ] || problem="($where) cannot import $problem"
    fi
    [ -z "$problem" ] || fail "PYTHON=$PYTHON $problem; activate the" \
        "environment fcn_plugin is installed in, or set PYTHON to its" \
        "interpreter (e.g. PYTHON=.venv/bin/python)"
    "$PYTHON" -m fcn_plugin.tooling.launch_check "$TOOLS/$tool" "$@" \
        || exit $?
}
