/** The failing example both editor suites write into their workspace; BROKEN_LINE is asserted. */
export const FAILING_PY = `# A pipeline whose second node fails (made by the e2e suites).
import conducto as co


def run():
    pipeline = co.Serial()
    pipeline["ok"] = co.Exec("echo ok")
    pipeline["broken"] = co.Exec("echo about to fail >&2; exit 3")
    return pipeline


if __name__ == "__main__":
    co.main(default=run)
`;
export const BROKEN_LINE = 8;
