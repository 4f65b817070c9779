# Constructing the tree with a function that returns a node.
import conducto as co
def make_test_node():
    output = co.Parallel()
    output["test1"] = co.Exec("echo run test 1")
    output["test2"] = co.Exec("echo run test 2")
    return output
root = co.Serial()
root["Test"] = make_test_node()
