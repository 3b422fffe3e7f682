#!/usr/bin/python3
"""Figure of `nsgx bench libos`: reads DIR/libos.json and writes, beside it,
libos-ratio.{png,svg}: each workload's time inside the library OS enclave
over its native time, per backend, on a log scale (1 = native; the
workloads program's kernels, SQLite, and the Debian programs: redis,
lighttpd, bzip2, fio on an allowed and an encrypted file, openssl speed,
python3).
A workload that did not run inside (or that a backend does not run yet,
"not run") has no bar.

    plot_libos.py DIR

Needs python3-matplotlib (Debian); scripts/bench installs it."""
import json
import pathlib
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.exit("plot_libos.py: needs python3-matplotlib (apt-get install python3-matplotlib; scripts/bench does)")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = pathlib.Path(sys.argv[1])
    rows = json.loads((out / "libos.json").read_text())["workloads"]
    if not rows:
        sys.exit("plot_libos.py: no workloads in libos.json")
    names = [r["workload"] for r in rows]
    fig, ax = plt.subplots(figsize=(max(8, len(names) * 0.55), 4.5))
    width = 0.4
    for i, (backend, color) in enumerate((("isolated", "tab:blue"), ("inproc", "tab:orange"))):
        xs = [k + (i - 0.5) * width for k in range(len(rows))]
        ys = [r.get(backend + "_ratio", 0) or 0 for r in rows]
        ax.bar([x for x, y in zip(xs, ys) if y > 0], [y for y in ys if y > 0], width, label=backend, color=color)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.axhline(1.15, color="gray", linewidth=0.6, linestyle="--", label="+15 % (I/O goal)")
    ax.set_yscale("log")
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("time inside / native")
    ax.set_title("nsgx bench libos: unmodified programs in the library OS enclave")
    ax.legend(fontsize=8)
    fig.tight_layout()
    for ext in ("png", "svg"):
        fig.savefig(out / f"libos-ratio.{ext}")
    print(f"figures: {out / 'libos-ratio.png'}, {out / 'libos-ratio.svg'}")


if __name__ == "__main__":
    main()
