"""co.nb: Conducto's markdown cells and inline matplotlib plots, printed into a node's log."""
import contextlib
import importlib
import io
import os
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdk_helpers  # noqa: E402,F401  (puts the SDK on sys.path)
import conducto as co  # noqa: E402


def printed(fn):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        fn()
    return out.getvalue()


class CellTest(unittest.TestCase):
    def test_cell_prints_comments_as_markdown_and_code_as_a_block(self):
        def body():
            with co.nb.cell():
                # ## Load
                x = 1 + 1
                print("x is", x)
            with co.nb.cell():
                # text only
                pass

        self.assertEqual(
            printed(body),
            '\n<ConductoMarkdown> ## Load\n```python\nx = 1 + 1\nprint("x is", x)\n```\nx is 2\n</ConductoMarkdown>\n'
            "\n<ConductoMarkdown> text only\n</ConductoMarkdown>\n",
        )
        self.assertFalse(co.nb.IN_MARKDOWN)


# matplotlib's backend interface, as much of it as a backend module touches (no matplotlib here:
# no PyPI on this machine); the real package offers the same names.
STUB = {
    "matplotlib/__init__.py": "backend = None\ndef use(name):\n    global backend\n    backend = name\n",
    "matplotlib/_pylab_helpers.py": "class Gcf:\n    managers = []\n    @classmethod\n    def get_all_fig_managers(cls):\n        return list(cls.managers)\n",
    "matplotlib/backends/__init__.py": "",
    "matplotlib/backends/backend_agg.py": "class FigureCanvasAgg:\n    def __init__(self, figure):\n        self.figure = figure\nclass FigureManagerBase:\n    def __init__(self, canvas, num):\n        self.canvas = canvas\n",
}


class MatplotlibInlineTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        for rel, text in STUB.items():
            path = os.path.join(self.tmp.name, "lib", rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        sys.path.insert(0, os.path.join(self.tmp.name, "lib"))
        self.addCleanup(sys.path.remove, os.path.join(self.tmp.name, "lib"))
        self.addCleanup(lambda: [sys.modules.pop(m) for m in list(sys.modules) if m.startswith("matplotlib") or m.endswith("backend_matplotlib")])
        data = os.path.join(self.tmp.name, "data")
        os.makedirs(data)
        env = {"PIPEWRIGHT_DATA": data, "CONDUCTO_PIPELINE_ID": "bei-hou"}
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        self.addCleanup(lambda: [os.environ.pop(k) if v is None else os.environ.__setitem__(k, v) for k, v in old.items()])
        self.data = data

    def test_show_saves_changed_figures_to_the_pipeline_data_and_prints_them(self):
        co.nb.matplotlib_inline()
        import matplotlib
        self.assertEqual(matplotlib.backend, "module://pipewright.nb.backend_matplotlib")
        backend = importlib.import_module(matplotlib.backend[len("module://"):])
        from matplotlib._pylab_helpers import Gcf

        class Figure:
            stale = True

            def savefig(self, path):
                with open(path, "wb") as f:
                    f.write(b"PNG")

        figure = Figure()
        Gcf.managers.append(backend.FigureManager(backend.FigureCanvas(figure), 1))
        out = printed(backend.show)
        lines = out.strip().splitlines()
        self.assertEqual(lines[0], "<ConductoMarkdown>")
        self.assertRegex(lines[1], r"^!\[plot\]\(/gw/manager/data/bei-hou/pipeline/\.mpl_plots/[0-9a-f-]+\.png\)$")
        self.assertEqual(lines[2], "</ConductoMarkdown>")
        saved = os.listdir(os.path.join(self.data, ".mpl_plots"))
        self.assertEqual(len(saved), 1)
        self.assertIn(saved[0], lines[1])
        self.assertFalse(figure.stale)
        self.assertEqual(printed(backend.show).strip().splitlines(), ["<ConductoMarkdown>", "</ConductoMarkdown>"], "an unchanged figure is not saved again")


if __name__ == "__main__":
    unittest.main()
