"""`Logger`, after ClearML's: what a step reports (scalars, text, tables, single values,
histograms) is written as JSON lines to the step's `metrics.jsonl` in the shared data folder, so
the runner keeps it with the step's execution and the pipeline panel draws the scalars as plots.
Outside a pipeline step (a script run by hand) reports are printed."""
import json
import math
import os
import sys
import time

METRICS_FILE = "metrics.jsonl"
# A report is one JSON line; a table or text much larger than this is cut (the panel shows a view).
MAX_TEXT = 64 * 1024


def metrics_path():
    """The running step's metrics file, or None outside a pipeline step."""
    folder = os.environ.get("PIPEWRIGHT_STEP_ARTIFACTS")
    return os.path.join(os.path.dirname(folder), METRICS_FILE) if folder else None


def _number(value, what):
    if isinstance(value, bool):
        return float(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError("%s must be a number, got %r" % (what, value))
    return number if math.isfinite(number) else None  # JSON has no NaN/inf: reported as null


def _table_rows(table):
    """A table as a list of rows of text (first row the header): a pandas DataFrame, a list of
    lists, or a CSV path/URL."""
    columns = getattr(table, "columns", None)
    if columns is not None and hasattr(table, "values"):
        index = [str(i) for i in getattr(table, "index", [])]
        rows = [[""] + [str(c) for c in columns]]
        for i, row in enumerate(table.values.tolist()):
            rows.append([index[i] if i < len(index) else str(i)] + [str(v) for v in row])
        return rows
    if isinstance(table, (list, tuple)):
        return [[str(v) for v in (row if isinstance(row, (list, tuple)) else [row])]
                for row in table]
    raise ValueError("report_table: table_plot must be a pandas DataFrame or a list of rows")


class Logger:
    """The running step's logger (`Logger.current_logger()`, `task.get_logger()`)."""

    _current = None

    @classmethod
    def current_logger(cls):
        if cls._current is None:
            cls._current = cls()
        return cls._current

    def _write(self, record):
        record["time"] = time.time()
        path = metrics_path()
        line = json.dumps(record, ensure_ascii=False, allow_nan=False)
        if path is None:
            sys.stdout.write("[%s] %s\n" % (record["type"], line))
            sys.stdout.flush()
            return
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")

    def report_scalar(self, title, series, value, iteration=0):
        """A point of the plot `title`, line `series`, at x = iteration."""
        self._write({"type": "scalar", "title": str(title), "series": str(series),
                     "iteration": _number(iteration, "iteration"),
                     "value": _number(value, "report_scalar value")})

    def report_single_value(self, name, value):
        self._write({"type": "single", "name": str(name),
                     "value": _number(value, "report_single_value value")})

    def report_text(self, msg, level=None, print_console=True, *args, **kwargs):
        if print_console:
            print(msg, flush=True)
        self._write({"type": "text", "text": str(msg)[:MAX_TEXT]})

    def report_table(self, title, series, iteration=None, table_plot=None, csv=None, url=None,
                     extra_layout=None, extra_data=None):
        if table_plot is None and (csv or url):
            import csv as csv_module
            from .storage import StorageManager
            with open(StorageManager.get_local_copy(csv or url), encoding="utf-8") as f:
                table_plot = list(csv_module.reader(f))
        rows = _table_rows(table_plot)[:200]
        self._write({"type": "table", "title": str(title), "series": str(series),
                     "iteration": iteration, "rows": [[c[:200] for c in r[:50]] for r in rows]})

    def report_histogram(self, title, series, values, iteration=None, labels=None,
                         xlabels=None, **_ignored):
        """Recorded as a table of (bin, count); numpy's histogram (counts, edges) is accepted."""
        if isinstance(values, tuple) and len(values) == 2:
            counts, edges = list(values[0]), list(values[1])
            rows = [["bin", "count"]] + [["%g" % e, str(c)] for e, c in zip(edges, counts)]
        else:
            items = list(values)
            names = list(xlabels or labels or range(len(items)))
            rows = [["bin", "count"]] + [[str(n), str(c)] for n, c in zip(names, items)]
        self._write({"type": "table", "title": str(title), "series": str(series),
                     "iteration": iteration, "rows": rows[:200]})

    def report_vector(self, title, series, values, iteration=None, labels=None, **kwargs):
        self.report_histogram(title, series, values, iteration, labels=labels)

    def report_plotly(self, *args, **kwargs):
        pass  # nothing to draw plotly with here; accepted so steps that report one still run

    def report_matplotlib_figure(self, *args, **kwargs):
        pass

    def report_image(self, *args, **kwargs):
        pass

    def report_media(self, *args, **kwargs):
        pass

    def flush(self, wait=False):
        return True

    def set_default_upload_destination(self, uri):
        pass

    def get_default_upload_destination(self):
        return None
