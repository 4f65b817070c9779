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

/**
 * Pipeline functions with parameters (test/e2e/arguments.test.ts): `greet` (a required str, an
 * optional int), `compute` (a required int), `plain` (none; the co.main default). Each node echoes
 * what it was given. The *_LINE constants are lines inside each function's body.
 */
export const ARGS_PY = `# Pipelines with parameters (made by test/e2e/arguments.test.ts).
import conducto as co


def greet(name: str, times: int = 2) -> co.Serial:
    pipeline = co.Serial()
    pipeline["hello"] = co.Exec(f"echo hello {name} x{times}")
    return pipeline


def compute(n: int) -> co.Serial:
    pipeline = co.Serial()
    pipeline["square"] = co.Exec(f"echo square of {n} is {n * n}")
    return pipeline


def plain() -> co.Serial:
    pipeline = co.Serial()
    pipeline["only"] = co.Exec("echo plain ran")
    return pipeline


if __name__ == "__main__":
    co.main(default=plain)
`;
export const COMPUTE_LINE = 13;
export const PLAIN_LINE = 19;
