# Resources and environment: every node inherits cpu, env, image, ... from its parents.
import conducto as co
root = co.Parallel(cpu=2, env={"LOG_LEVEL": "1"})
root["Node1"] = co.Exec("echo I run with 2 cores, and with LOG_LEVEL=$LOG_LEVEL")
