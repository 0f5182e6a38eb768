"""The errors that are the caller's mistake: a bad argument, bad data, a missing package. They subclass the
built-in ones (ValueError, TypeError, ImportError), so ``except ValueError`` still catches them; the command line
shows them in one line, and anything else, an error of nngrad's own, with its traceback."""


class UserError(Exception):
    """Marker of a caller's mistake; the message says what was wrong and what was expected."""


class InvalidValue(UserError, ValueError):
    """An argument or data of the right type but a wrong value."""


class InvalidType(UserError, TypeError):
    """An argument of the wrong type."""


class MissingPackage(UserError, ImportError):
    """An optional package a method needs is not installed; the message says how to install it."""


class UsageError(UserError):
    """A mistake in what the user asked for on the command line: reported in one line, exit status 2."""
