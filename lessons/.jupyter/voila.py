# Voila's configuration for `make classroom` (read through JUPYTER_CONFIG_PATH).
#
# Voila runs a lesson with nbclient (voila.execute.VoilaExecutor is an nbclient
# NotebookClient), and so meets the race that tests/notebook_kernel.py describes: a cell that
# prints into an ipywidgets.Output widget (every lesson panel does) can have its execute reply
# sit unread until the cell's timeout, and Voila's cells have none, so the page never comes.
# The classroom waits for replies as the test harness does, in short slices: the one
# implementation of the workaround is tests/notebook_kernel.py's PollingNotebookClient.
import sys
from pathlib import Path

from voila.execute import VoilaExecutor

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))
from notebook_kernel import PollingNotebookClient  # noqa: E402

VoilaExecutor._async_poll_for_reply = PollingNotebookClient._async_poll_for_reply
sys.path.pop(0)
