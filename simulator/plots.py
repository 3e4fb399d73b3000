"""Matplotlib figures: SINR CDFs, per-cell PRB load, calibration CDFs against reference percentiles."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def _cdf(ax: plt.Axes, x: FloatArray, label: str) -> None:
    xs = np.sort(x)
    ax.plot(xs, np.arange(1, len(xs) + 1) / len(xs), label=label)


def sinr_cdf(path: Path, series: Mapping[str, FloatArray], title: str) -> None:
    fig, ax = plt.subplots(figsize=(6, 4), dpi=110)
    for label, x in series.items():
        _cdf(ax, x, label)
    ax.set_xlabel("SINR (dB)")
    ax.set_ylabel("CDF")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def load_per_cell(path: Path, ids: Sequence[str], dl: FloatArray, ul: FloatArray, top: int = 25) -> None:
    order = np.argsort(-(dl + ul))[:top]
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    y = np.arange(len(order))
    ax.barh(y - 0.2, 100 * dl[order], height=0.4, label="downlink")
    ax.barh(y + 0.2, 100 * ul[order], height=0.4, label="uplink")
    ax.set_yticks(y, [ids[i] for i in order], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("PRB load (%)")
    ax.set_xlim(0, 100)
    ax.set_title(f"PRB load, {len(order)} busiest cells", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def calibration_cdf(path: Path, x: FloatArray, reference: Sequence[float], percentiles: Sequence[int],
                    xlabel: str, tolerance: float) -> None:
    fig, ax = plt.subplots(figsize=(6, 4), dpi=110)
    _cdf(ax, x, "psn simulator")
    p = np.asarray(percentiles) / 100.0
    ax.errorbar(reference, p, xerr=tolerance, fmt="o", color="k", capsize=3,
                label=f"3GPP industry median ±{tolerance} dB")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("CDF")
    ax.set_title(f"TR 36.873 3D-UMa calibration: {xlabel}", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
