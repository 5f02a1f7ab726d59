"""The one exception type the scripts turn into a one-line message and a non-zero exit."""


class ToolkitError(Exception):
    """A problem with the user's input, files or data, stated as the rule and the value received."""
