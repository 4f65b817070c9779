# Node types: build, then test in parallel (the first example of the Conducto docs).
import conducto as co


def run():
    # Use co.Exec() to run a build step
    build_node = co.Exec("echo docker build, make, npm i, etc.")

    # Use co.Parallel() to run tests in parallel.
    test_node = co.Parallel()
    for name in ["app", "backend", "metrics"]:
        test_node[name] = co.Exec(f"echo run test for {name}")

    # Use co.Serial() to build then test.
    pipeline = co.Serial()
    pipeline["Build"] = build_node
    pipeline["Test"] = test_node
    return pipeline


if __name__ == "__main__":
    # Call `python <file> run` to pretty-print the pipeline:
    #     /
    #     ├─0 Build   echo docker build, make, npm i, etc.
    #     └─1 Test
    #       ├─ app   echo run test for app
    #       ├─ backend   echo run test for backend
    #       └─ metrics   echo run test for metrics
    # Call `python <file> run --local` to run it locally.
    co.main(default=run)
