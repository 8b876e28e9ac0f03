"""The one exception type for mistakes a user can fix (paths, keys, data).

The tool wrappers in ``tools/`` print its message on one line and exit with
code 1 instead of showing a traceback.
"""


class UserInputError(Exception):
    """A user-fixable problem; the message names the file or key and the fix."""
