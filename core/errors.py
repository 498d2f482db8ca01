"""One exception tree for the whole channel.

Tool errors are data: a `ToolError` (or any subclass) raised inside a tool becomes an
``Error: ...`` tool result the model can react to. Anything else is a bug and propagates.
"""


class WebTVError(Exception):
    """Root of every error the channel raises on purpose."""


class ConfigError(WebTVError):
    """The configuration (flags, environment, files) cannot be used."""


class ToolError(WebTVError):
    """A tool could not do what the model asked; the message goes back to the model."""


class NotFound(ToolError):
    """The model referred to a bible entry, shot or take that does not exist."""


class MediaError(ToolError):
    """FFmpeg failed or a media file is broken; carries the last lines of stderr."""


class BackendError(ToolError):
    """A generation backend (local or remote) failed to produce an asset."""


class BadMedia(BackendError):
    """A backend answered, with a file that is not what was asked (unreadable, partial, the
    wrong shape): the content's fault, not the endpoint's. Another seed may do."""


class Refused(BackendError):
    """A hosted service's moderation refused the prompt (or what it made from it): the shot's
    fault, not the service's. A new seed will not change it; the director rewrites the shot."""


class BudgetSpent(BackendError):
    """The owner's budget has no room for this attempt: nothing was started, nothing is
    spent; the shot waits, unmade, until the budget allows it (the next day or hour)."""


class GateUnavailable(BackendError):
    """A gate before the air could not answer (the moderation endpoint, the text reader): the
    take is neither passed nor failed; it waits, made, until the gate answers again."""


class Abandoned(BackendError):
    """The channel stopped while an endpoint made the clip (a Space's job): the job is
    cancelled there and its answer not awaited; the shot is made after a restart."""


class LeftToCluster(BackendError):
    """The channel stopped while a cluster worker made the clip: the job goes on there, and
    the same ask after a restart is answered from its result. Billed where it arrives."""

    billed = False


class Stopped(WebTVError):
    """The channel stopped while the model wrote: its reply is cut off between tokens and
    nothing of it is used; the turn ends as a stop between steps does."""


class StepLimitExceeded(WebTVError):
    """The director used more model turns than allowed without finishing."""


class DirectorGaveUp(WebTVError):
    """The model kept sending a failing call: the turn ends instead of looping."""


class ModelError(WebTVError):
    """The director's model could not answer (its context is full, it failed to load)."""
