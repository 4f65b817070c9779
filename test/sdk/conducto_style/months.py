"""Monthly summaries grouped by year, in the style of Conducto's data science examples
(a fixture written for Pipewright's tests)."""
import conducto as co

MONTHS = [201900 + m for m in range(1, 13)] + [202001, 202002]


def summarize(yyyymm):
    print("summary of", yyyymm)


def monthly(count: int = 14) -> co.Serial:
    "One summary node per month."
    output = co.Serial(doc=co.util.magic_doc())
    output["Parallelize"] = co.Parallel()
    for node, yyyymm in co.util.makeyyyymmnodes(output["Parallelize"], MONTHS[:count]):
        node[str(yyyymm)] = co.Exec(summarize, yyyymm)
    return output


def commented() -> co.Serial:

    # Build and test in one container,
    #   the comment above the call is the doc.
    with co.Serial(
        doc=co.util.magic_doc(comment=True)
    ) as root:
        co.Exec("echo build", name="build")
    return root


if __name__ == "__main__":
    co.main(default=monthly)
