# Lazy pipeline creation with a shell command: no path inference, the command runs as written.
import conducto as co

root = co.Serial()
root["Deploy"] = co.Exec("echo Deploy service")
root["Test"] = co.Lazy("conducto test.py --num-tests=5", node_type=co.Parallel)

# /
# ├─0 Deploy   echo Deploy service
# └─1 Test
#   ├─0 Generate   conducto test.py --num-tests=5
#   └─1 Execute
