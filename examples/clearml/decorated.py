"""A ClearML PipelineDecorator pipeline: the pipeline is a Python function, each component call a
step in its own container. Results are lazy: `fit` starts right after `make_points` is called, and
the body only waits where it uses a value (printing the errors, picking the best).

    pipewright tree examples/clearml/decorated.py
    pipewright run examples/clearml/decorated.py --param noise=0.5
    python3 examples/clearml/decorated.py
"""
from clearml import PipelineDecorator, TaskTypes


@PipelineDecorator.component(return_values=["train", "test"], cache=True,
                             task_type=TaskTypes.data_processing)
def make_points(samples: int, noise: float):
    """Points on y = 3x + 1, with noise, split into train and test."""
    import random
    rng = random.Random(7)
    points = [(x, 3 * x + 1 + rng.uniform(-noise, noise))
              for x in (i / samples for i in range(samples))]
    print("made %d points" % len(points))
    return points[::2], points[1::2]


@PipelineDecorator.component(return_values=["model"], task_type=TaskTypes.training)
def fit(points, ridge=0.0):
    """Least squares for y = a*x + b (ridge shrinks a)."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    sxy = sum((x - mx) * (y - my) for x, y in points)
    a = sxy / (sxx + ridge)
    print("ridge=%s: a=%.3f" % (ridge, a))
    return {"a": a, "b": my - a * mx, "ridge": ridge}


@PipelineDecorator.component(return_values=["error"], task_type=TaskTypes.qc)
def evaluate(model, points):
    return sum((model["a"] * x + model["b"] - y) ** 2 for x, y in points) / len(points)


@PipelineDecorator.pipeline(name="line fit", project="examples", version="1.0")
def line_fit(samples=200, noise=0.2):
    train, test = make_points(samples, noise)
    models = [fit(train, ridge=r) for r in (0.0, 1.0, 10.0)]     # fit, fit_1, fit_2
    errors = [evaluate(m, test) for m in models]                  # evaluate, evaluate_1, ...
    for model, error in zip(models, errors):
        print("ridge %-5s error %.4f" % (model["ridge"], error))
    best = min(zip(errors, models), key=lambda pair: pair[0])[1]
    print("best: ridge=%s a=%.3f b=%.3f" % (best["ridge"], best["a"], best["b"]))


if __name__ == "__main__":
    PipelineDecorator.run_locally()
    line_fit()
