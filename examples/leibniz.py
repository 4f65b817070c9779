# Calling Python methods: co.Exec(func, n=...) runs `conducto leibniz.py leibniz --n=...`.
import conducto as co


def leibniz(n: int) -> float:
    """Leibniz formula for π
      π = 4 - 4/3 + 4/5 - 4/7 + ... + 4/(2*n+1)

    See https://en.wikipedia.org/wiki/Leibniz_formula_for_π
    """
    pi = 0
    sign = 1
    for i in range(n):
        pi += sign * 4 / (2*i+1)
        sign *= -1
    return pi


def compute_pi(n: int) -> co.Serial:
    output = co.Serial(image=co.Image(copy_dir="."))
    output["Leibniz1"] = co.Exec(leibniz, n=n)
    output["Leibniz2"] = co.Exec(leibniz, n=n)
    return output


if __name__ == "__main__":
    # python leibniz.py --n=1000           pretty-prints compute_pi(1000)
    # python leibniz.py leibniz --n=1000   prints 3.14...
    co.main(default=compute_pi)
