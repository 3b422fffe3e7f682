#!/usr/bin/python3
"""Figures of `nsgx bench workloads`: reads DIR/workloads-<backend>.json and
writes, beside them, workloads-ratio.{png,svg} (enclave/native time of each
nbench kernel and of the hash join, per backend) and workloads-bw.{png,svg}
(bw_mem bandwidth against buffer size, natively and in the enclave, with
the inproc EPC size marked), and, when SQLite ran, workloads-sqlite.{png,svg}
(its enclave/native time with ordinary and with switchless OCALLs).

    plot_workloads.py DIR

Needs python3-matplotlib (Debian); scripts/bench installs it."""
import json
import pathlib
import re
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.exit("plot_workloads.py: needs python3-matplotlib (apt-get install python3-matplotlib; scripts/bench does)")

BACKENDS = ("isolated", "inproc")


def epc_bytes(label):
    m = re.fullmatch(r"(\d+)([KMG]?)", label or "")
    if not m:
        return None
    return int(m.group(1)) * {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[m.group(2)]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = pathlib.Path(sys.argv[1])
    runs = {}
    for b in BACKENDS:
        f = out / f"workloads-{b}.json"
        if f.exists():
            runs[b] = json.loads(f.read_text())
    if not runs:
        sys.exit(f"plot_workloads.py: no workloads-*.json in {out}")

    # Ratios: one group of bars per workload, one bar per backend.
    names = []
    for run in runs.values():
        for r in run["results"]:
            if r["suite"] in ("nbench", "hash join") and "ratio" in r and r["name"] not in names:
                names.append(r["name"])
    fig, ax = plt.subplots(figsize=(10, 4.2))
    width = 0.8 / len(runs)
    for i, (b, run) in enumerate(runs.items()):
        ratio = {r["name"]: r["ratio"] for r in run["results"] if "ratio" in r}
        xs = [k + i * width - 0.4 + width / 2 for k in range(len(names))]
        ax.bar(xs, [ratio.get(n, 0) for n in names], width, label=f"{b} (EPC {run['epc_size']})")
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=30, ha="right")
    ax.set_ylabel("enclave time / native time")
    ax.set_title("nbench-style kernels and hash join: enclave vs native (same code)")
    ax.legend()
    fig.tight_layout()
    for ext in ("png", "svg"):
        fig.savefig(out / f"workloads-ratio.{ext}", dpi=120)
    plt.close(fig)

    # Bandwidth against size.
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), sharey=True)
    for ax, op in zip(axes, ("bw_mem rd", "bw_mem wr", "bw_mem cp")):
        for b, run in runs.items():
            rows = sorted((r for r in run["results"] if r["name"] == op and "native_mb_s" in r), key=lambda r: r["size"])
            if not rows:
                continue
            sizes = [r["size"] for r in rows]
            # Each backend's run has its own native measurement, taken beside it.
            line, = ax.plot(sizes, [r["enclave_mb_s"] for r in rows], marker="o", label=f"enclave, {b}")
            ax.plot(sizes, [r["native_mb_s"] for r in rows], marker="x", linestyle="--", color=line.get_color(),
                    alpha=0.6, label=f"native, {b} run")
            epc = epc_bytes(run["epc_size"])
            if b == "inproc" and epc:
                ax.axvline(epc, color="red", linestyle=":", linewidth=1)
                ax.text(epc, ax.get_ylim()[1] * 0.9 if ax.get_ylim()[1] > 0 else 1, f" inproc EPC {run['epc_size']}",
                        color="red", fontsize=8)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("bytes per buffer (cp: two buffers)" if op.endswith("cp") else "buffer size (bytes)")
        ax.set_title(op)
    axes[0].set_ylabel("MB/s (2^20 bytes)")
    axes[0].legend(fontsize=8)
    fig.suptitle("bw_mem-style bandwidth: enclave vs native")
    fig.tight_layout()
    for ext in ("png", "svg"):
        fig.savefig(out / f"workloads-bw.{ext}", dpi=120)
    plt.close(fig)

    # SQLite: enclave/native with ordinary and with switchless OCALLs.
    sq = {b: next((r for r in run["results"] if r.get("suite") == "sqlite" and "ratio" in r), None)
          for b, run in runs.items()}
    sq = {b: r for b, r in sq.items() if r is not None}
    names = ["workloads-ratio.png", "workloads-bw.png"]
    if sq:
        fig, ax = plt.subplots(figsize=(6, 4))
        kinds = (("ratio", "ordinary OCALLs"), ("switchless_ratio", "switchless OCALLs"))
        for i, (key, label) in enumerate(kinds):
            xs = [k + (i - 0.5) * 0.35 for k in range(len(sq))]
            ax.bar(xs, [r.get(key, 0) for r in sq.values()], 0.35, label=label)
        ax.set_xticks(range(len(sq)))
        ax.set_xticklabels([f"{b}\n{r.get('ocalls_per_iter', 0):.0f} OCALLs/iteration" for b, r in sq.items()])
        ax.axhline(1.1, color="red", linestyle=":", linewidth=1)
        ax.text(-0.4, 1.15, "target: 1.1 with switchless", color="red", fontsize=8)
        ax.set_ylabel("enclave time / native time")
        ax.set_title("SQLite on a database file, file calls through OCALLs")
        ax.legend(fontsize=8)
        fig.tight_layout()
        for ext in ("png", "svg"):
            fig.savefig(out / f"workloads-sqlite.{ext}", dpi=120)
        plt.close(fig)
        names.append("workloads-sqlite.png")
    print(f"figures: {out}/{', '.join(names)} (and .svg)")


if __name__ == "__main__":
    main()
