"""Conducto's definition-time API the way its examples use it (a fixture written for Pipewright's
tests): node params given after construction, function arguments named like node params,
a custom argument type, an indented heredoc, a command replaced after construction."""
import conducto as co


def report(mem, cpu: int = 1200):
    print(f"report: cpu {cpu}, memory {mem}")


class Mood:
    """An argument type of our own: written with to_str, read back with from_str."""

    def __init__(self, happy=False):
        self.happy = happy

    def to_str(self):
        return "yay :)" if self.happy else "meh :("

    def from_str(s):
        return Mood(happy=s == "yay :)")


def feel(mood: Mood):
    print("feeling", "happy" if mood.happy else "sad", "as a", type(mood).__name__)


def params() -> co.Parallel:
    with co.Parallel() as node:
        # all keywords are node params for a command string
        co.Exec("echo plain", name="plain", cpu=1.5)

        # the function's own arguments come first, node params by .set()
        shared = co.Exec(report, "16 GB", cpu=3600)
        shared.set(cpu=0.5, mem=1.5)
        node["shared"] = shared

        # or attach first, then set in place
        node["later"] = co.Exec(report, "8 GB")
        node["later"].set(cpu=0.25)

        # or Conducto's params= dict
        node["dict"] = co.Exec(report, "4 GB", cpu=1, params={"mem": 3})

        node["mood"] = co.Exec(feel, Mood(happy=True))
    return node


def heredoc() -> co.Serial:
    root = co.Serial()
    root["write"] = co.Exec("""
        cat > /tmp/greeting.txt <<EOF
        hello
          indented
        EOF
        cat /tmp/greeting.txt
        echo after the heredoc
    """)
    return root


def count(n) -> co.Serial:
    root = co.Serial()
    root["count"] = co.Exec(f"echo counting to {n}")
    root["check"] = co.Exec("echo checked")
    return root


def count_fixed(n) -> co.Serial:
    root = count(n)
    root.children["count"].command = f"echo fixed count to {n}"
    return root


def paths() -> co.Serial:
    with co.Serial(stop_on_error="False") as root:
        root["/build"] = co.Parallel(suppress_errors="true")
        root["/build/app"] = co.Exec("echo build app")
        with co.Serial(name="test", skip="0") as test:
            # absolute keys start at the root, wherever they are used
            test["/build/lib"] = co.Exec("echo build lib")
            test["unit"] = co.Exec("echo test " + test["/build/lib"].name)
    return root


if __name__ == "__main__":
    co.main(default=params)
