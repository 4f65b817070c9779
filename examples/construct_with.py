# Constructing the tree with nodes as context managers: the indentation matches the structure.
import conducto as co
with co.Serial() as root:
    with co.Parallel(name="Test"):
        co.Exec("echo run test 1", name="test1")
        co.Exec("echo run test 2", name="test2")
