"""The one exception type the scripts turn into a one-line message and a non-zero exit."""


class ToolkitError(Exception):
    """A problem with the user's input, files or data, stated as the rule and the value received."""


def first_line(error: BaseException) -> str:
    """The first line of an exception's message, or its type name when the message is empty.

    Libraries (Keras, h5py, pandas) raise multi-line messages; a one-line error quotes only this.
    """
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
