# Voila's configuration for `make classroom` (read through JUPYTER_CONFIG_PATH).
#
# Voila runs a lesson with nbclient (voila.execute.VoilaExecutor is an nbclient
# NotebookClient), and so meets the race that sim/presentation/kernels.py describes: a cell that
# prints into an ipywidgets.Output widget (every lesson panel does) can have its execute reply
# sit unread until the cell's timeout, and Voila's cells have none, so the page never comes.
# The classroom waits for replies as the test harness does, in short slices: the one
# implementation of the workaround is sim.presentation.kernels.PollingNotebookClient.
from voila.execute import VoilaExecutor

from sim.presentation.kernels import PollingNotebookClient

VoilaExecutor._async_poll_for_reply = PollingNotebookClient._async_poll_for_reply
