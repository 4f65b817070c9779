"""Process-wide SDK state, kept in one place so every module agrees on it."""

# Folder of the file given to the loader (or to co.main); a callable's FILE is relative to it.
definition_dir = None

# True while the loader runs a definition file: co.main() then reports its arguments, no more.
capture_main = False

# Nodes opened with `with`; a node created with name= joins the innermost one.
open_nodes = []
