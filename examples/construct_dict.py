# Constructing the tree by direct dict assignment (Node.__setitem__).
import conducto as co
node = co.Parallel()
node["test1"] = co.Exec("echo run test 1")
node["test2"] = co.Exec("echo run test 1")
root = co.Serial()
root["Test"] = node

# /
# └─0 Test
#   ├─ test1   echo run test 1
#   └─ test2   echo run test 1
