# Auto-main convenience: `python auto_main.py run` pretty-prints the node run() returns.
import conducto as co


def run() -> co.Serial:
    return co.Serial()


if __name__ == "__main__":
    # Call 'python <file> run' to pretty-print the Node returned by `run()`.
    # Call 'python <file> run --local' to launch the pipeline on your local host.
    co.main(default=run)
