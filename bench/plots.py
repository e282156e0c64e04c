"""The PNG plots beside latest.md: latency over time per failover run, requests/s per overhead variant."""

import os

from . import log


def plot(data, out_dir):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib is missing: no plots (make venv installs it)")
        return
    for k, (label, r) in enumerate(data.get("failover", {}).get("runs", {}).items()):
        samples = r["samples"]
        fig, ax = plt.subplots(figsize=(10, 4))
        ok = [(s[0], s[1] * 1000) for s in samples if s[2] == 200]
        bad = [(s[0], s[1] * 1000) for s in samples if s[2] != 200]
        ax.scatter([x for x, _ in ok], [y for _, y in ok], s=4, label="200")
        if bad:
            ax.scatter([x for x, _ in bad], [y for _, y in bad], s=12, c="red", label="failed")
        for j, (name, start, stop) in enumerate(r["phase_bounds"]):
            ax.axvspan(start, stop, alpha=0.08 if j % 2 else 0.0, color="grey")
            ax.text(start + 0.3, 0.98, name, transform=ax.get_xaxis_transform(), va="top", fontsize=8)
        ax.set_yscale("log")
        ax.set_xlabel("seconds (by when the request was sent)")
        ax.set_ylabel("latency ms (log)")
        ax.set_title(f"Failover under load, {label}")
        ax.legend(loc="lower right")
        name = f"failover-{k + 1}.png"
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, name), dpi=90)
        plt.close(fig)
        r["plot"] = name
    o = data.get("overhead")
    if o:
        fig, ax = plt.subplots(figsize=(8, 4))
        width = 0.8 / len(o["variants"])
        for j, (name, per) in enumerate(sorted(o["variants"].items())):
            xs = [i + j * width for i in range(len(o["levels"]))]
            ys = [(per[c] if c in per else per[str(c)])["rps"]["median"] for c in o["levels"]]
            ax.bar(xs, ys, width, label=name)
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(o["levels"]))])
        ax.set_xticklabels([f"{c} connections" for c in o["levels"]])
        ax.set_ylabel("requests/s (median)")
        ax.set_title("Proxy overhead")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, "overhead.png"), dpi=90)
        plt.close(fig)
