# Constructing the tree with /-delimited paths.
import conducto as co
root = co.Serial()
root["Test"] = co.Parallel()
root["Test/test1"] = co.Exec("echo run test 1")
root["Test/test2"] = co.Exec("echo run test 2")
