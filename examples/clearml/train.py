# A training script as ClearML runs it: arguments by argparse (the step's Args/ parameters),
# the loss reported per epoch (the pipeline panel's Metrics tab draws the three trainings'
# curves), the result uploaded as an artifact of the step.
import argparse
import pickle

from clearml import Task

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--epochs", type=int, default=50)
parser.add_argument("--dataset", default="")
args = parser.parse_args()

task = Task.init(project_name="examples", task_name="train linear model")
with open(args.dataset, "rb") as f:
    points = pickle.load(f)

logger = task.get_logger()
w = b = 0.0
for epoch in range(args.epochs):
    loss = sum((w * x + b - y) ** 2 for x, y in points) / len(points)
    logger.report_scalar("loss", "train", loss, iteration=epoch)
    gw = sum(2 * (w * x + b - y) * x for x, y in points) / len(points)
    gb = sum(2 * (w * x + b - y) for x, y in points) / len(points)
    w, b = w - args.lr * gw, b - args.lr * gb
mse = sum((w * x + b - y) ** 2 for x, y in points) / len(points)
print("lr=%s epochs=%s mse=%.5f" % (args.lr, args.epochs, mse))
task.upload_artifact("model", {"w": w, "b": b, "mse": mse, "lr": args.lr})
