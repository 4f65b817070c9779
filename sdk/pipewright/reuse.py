"""Container reuse contexts, as Conducto names them (its shared/constants.py).

A node with container_reuse_context=NEW starts a context: every Exec below it (down to a node that
sets a context of its own) runs in one container, one at a time, so files one leaves in /tmp are
there for the next. GLOBAL puts a subtree back in the pipeline's shared pool of containers, where
nodes with the same image and resources may or may not meet (passive reuse). Any other string is
a Pipewright named context: the nodes that give the same name share worker containers, apart
from every other node. The runner resolves contexts (runner/run/reuseContext.ts)."""
from .errors import DefinitionError


class ContainerReuseContext:
    NEW = "new"
    GLOBAL = "global"


class SameContainer:
    """Deprecated in Conducto in favour of ContainerReuseContext; same values."""
    NEW = ContainerReuseContext.NEW
    ESCAPE = ContainerReuseContext.GLOBAL
    INHERIT = None


def resolve_alias(params):
    """params with same_container= turned into container_reuse_context= (Conducto's deprecated
    spelling); giving both is an error, as in Conducto. INHERIT (None) means not given."""
    if "same_container" not in params:
        return params
    params = dict(params)
    same = params.pop("same_container")
    if same is None:
        return params
    if params.get("container_reuse_context") is not None:
        raise DefinitionError("same_container is deprecated in favour of container_reuse_context: "
                              "give only one of them")
    params["container_reuse_context"] = same
    return params
