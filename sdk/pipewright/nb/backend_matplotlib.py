"""A matplotlib backend for nodes (co.nb.matplotlib_inline): show() saves every changed figure
as a PNG in the pipeline's data (`.mpl_plots/`) and prints it as a markdown image, as Conducto's."""
import os
import uuid

from matplotlib._pylab_helpers import Gcf
from matplotlib.backends.backend_agg import FigureCanvasAgg, FigureManagerBase

from .. import data
from .. import nb

FigureCanvas = FigureCanvasAgg
FigureManager = FigureManagerBase


def show(*args, **kwargs):
    if not nb.IN_MARKDOWN:
        print("\n<ConductoMarkdown>")
    for manager in Gcf.get_all_fig_managers():
        figure = manager.canvas.figure
        if not figure.stale:
            continue
        name = ".mpl_plots/%s.png" % uuid.uuid4()
        path = data.pipeline._path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        figure.savefig(path)
        print("![plot](%s)" % data.pipeline.url(name))
        figure.stale = False
    if not nb.IN_MARKDOWN:
        print("</ConductoMarkdown>")
