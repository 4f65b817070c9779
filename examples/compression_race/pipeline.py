# Compression Race (the Conducto docs, "Controlling a Pipeline"): three strategies compress the
# same five payload files, so they can be compared.
#
#   1. container parallelism: five containers, one gzip each
#   2. process parallelism:   one container, five gzip processes (GNU parallel)
#   3. no parallelism:        one container, one gzip process for all five files
#
# Make the payloads first (python3 make_payloads.py), then: pipewright run pipeline.py
#
# Why copy_dir: gzip replaces payloadN.dat with payloadN.dat.gz beside it, and refuses if the .gz
# exists. With the folder mounted, the first strategy would consume the files the next two need.
# co.Image(copy_dir=".") bakes this folder (payloads included) into an image once, and every
# container starts from a fresh copy of it, so each strategy (and each rerun) compresses its own
# copy, the seed's commands stay verbatim, and nothing is written back into this folder. Copying
# the payloads into the image costs one build; it is cached until the payloads change.
# (.dockerignore keeps any stray *.gz out of the copy.)
#
# Why container_reuse_context: Pipewright (like Conducto) keeps worker containers alive and runs
# the next node with the same image and resources in an idle one, which here would hand worker 1
# a container where payload1.dat is already payload1.dat.gz, and leave "process parallelism" with
# nothing to compress. A context of its own per Exec gives each one its own container: five
# containers for the first strategy, one each for the other two, as in the seed.
import conducto as co


def race() -> co.Serial:
    # cpu=2 on the root: every node inherits it, so each container gets two cores.
    root = co.Serial(cpu=2, image=co.Image(copy_dir="."))
    root["container parallelism"] = parallel = co.Parallel()
    for i in range(5):
        parallel[f"worker {i}"] = co.Exec(f"gzip -1 payload{i + 1}.dat", container_reuse_context=f"worker {i}")
    root["process parallelism"] = co.Exec("ls payload*.dat | parallel gzip -1", container_reuse_context="process")
    root["no parallelism"] = co.Exec("gzip -1 payload*.dat", container_reuse_context="serial")
    return root


if __name__ == "__main__":
    # python pipeline.py   pretty-prints the tree:
    #     /
    #     ├─0 container parallelism
    #     │ ├─ worker 0   gzip -1 payload1.dat
    #     │ ...
    #     │ └─ worker 4   gzip -1 payload5.dat
    #     ├─1 process parallelism   ls payload*.dat | parallel gzip -1
    #     └─2 no parallelism   gzip -1 payload*.dat
    co.main(default=race)
