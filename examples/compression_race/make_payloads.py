"""Makes the Compression Race payloads: payload1.dat .. payload5.dat, random noise.

    python3 make_payloads.py                     # 8, 12, 16, 20, 24 MB (80 MB in all)
    python3 make_payloads.py --sizes 1,1,1,1,1   # MB each (fractions allowed: 0.25)
    python3 make_payloads.py --dir /tmp/race     # elsewhere than beside this script

The defaults are small enough for a 2-core CI machine (each strategy takes a few seconds);
the Conducto docs used 50-250 MB. Idempotent: a payload that exists with the right size is
kept, so re-runs are instant and the copy_dir image stays cached. Stdlib only.
"""
import argparse
import os
import sys

DEFAULT_SIZES_MB = (8, 12, 16, 20, 24)
CHUNK = 1 << 20


def make_payloads(directory, sizes_mb=DEFAULT_SIZES_MB, out=sys.stdout):
    """Writes payload{i}.dat of sizes_mb[i-1] MiB into directory; returns the paths."""
    paths = []
    for i, mb in enumerate(sizes_mb, start=1):
        size = int(mb * CHUNK)
        path = os.path.join(directory, f"payload{i}.dat")
        paths.append(path)
        if os.path.isfile(path) and os.path.getsize(path) == size:
            print(f"{path}: {size} bytes, kept", file=out)
            continue
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            left = size
            while left:
                n = min(CHUNK, left)
                f.write(os.urandom(n))
                left -= n
        os.replace(tmp, path)
        print(f"{path}: {size} bytes, made", file=out)
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=os.path.dirname(os.path.abspath(__file__)),
                        help="folder to write into (default: this script's)")
    parser.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES_MB),
                        help="five comma-separated sizes in MB (default: %(default)s)")
    args = parser.parse_args(argv)
    sizes = [float(s) for s in args.sizes.split(",")]
    if len(sizes) != 5 or any(s < 0 for s in sizes):
        parser.error("--sizes needs five sizes >= 0")
    os.makedirs(args.dir, exist_ok=True)
    make_payloads(args.dir, sizes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
