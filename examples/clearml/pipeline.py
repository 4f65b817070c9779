# A ClearML-style pipeline run locally by Pipewright: make a data set, train three models on it in
# parallel with different learning rates, pick the best.
#
#   python3 pipeline.py                     runs it (start_locally) and prints the best model
#   python3 -m pipewright pipeline.py       prints its tree; `pipewright run pipeline.py` runs it
from clearml import PipelineController, Task


def make_dataset(samples: int = 200, seed: int = 7):
    """Points on y = 3x + 0.5 with some noise."""
    import random
    rng = random.Random(seed)
    points = []
    for _ in range(samples):
        x = rng.uniform(-1, 1)
        points.append((x, 3.0 * x + 0.5 + rng.gauss(0, 0.1)))
    print("made %d points" % len(points))
    return points


def pick_best(slow, mid, fast):
    """The model with the lowest error, and a summary of all three."""
    models = [slow, mid, fast]
    for m in models:
        print("lr=%-5s mse=%.5f w=%.3f b=%.3f" % (m["lr"], m["mse"], m["w"], m["b"]))
    best = min(models, key=lambda m: m["mse"])
    print("best: lr=%s" % best["lr"])
    return best, [m["mse"] for m in models]


# The template the three training steps clone (ClearML's base task): train.py with its args.
Task.create(project_name="examples", task_name="train linear model", script="train.py",
            parameters={"Args/lr": 0.1, "Args/epochs": 50, "Args/dataset": ""})

pipe = PipelineController(name="linear regression", project="examples", version="1.0.0")
pipe.set_default_execution_queue("default")
pipe.add_parameter("samples", 200, "how many points the data set has")

pipe.add_function_step("data", make_dataset, function_kwargs={"samples": "${pipeline.samples}"},
                       function_return=["dataset"], cache_executed_step=True)
for name, lr in (("train_slow", 0.01), ("train_mid", 0.1), ("train_fast", 0.5)):
    pipe.add_step(name, base_task_project="examples", base_task_name="train linear model",
                  parameter_override={"Args/lr": lr,
                                      "Args/dataset": "${data.artifacts.dataset.url}"},
                  cache_executed_step=True)
pipe.add_function_step("pick_best", pick_best,
                       function_kwargs={"slow": "${train_slow.artifacts.model}",
                                        "mid": "${train_mid.artifacts.model}",
                                        "fast": "${train_fast.artifacts.model}"},
                       function_return=["best", "errors"])

if __name__ == "__main__":
    pipe.start_locally()
    print("steps:", ", ".join("%s=%s" % (n.name, n.status) for n in pipe.get_processed_nodes()))
