"""Generate the overhead benchmark's notebooks (``bench/notebooks/overhead-*.ipynb``).

A realistic analysis session with numpy, pandas and scikit-learn: cells of about 0.1-5 s each
(full size, on a 2-core machine) that leave about 2 GB of arrays and dataframes in 100+ variables,
with in-place updates, aliases, group-bys and model fits. Every random draw comes from a seeded
generator, so the notebooks (and what they compute) are the same on every run.

    .venv/bin/python bench/overhead_notebook.py     # rewrites both notebooks
"""

from __future__ import annotations

import json
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"

#: Name -> scale: 1.0 holds about 2 GB, 0.1 about 200 MB.
SIZES = {"overhead-full": 1.0, "overhead-small": 0.1}


def cells(scale: float) -> list[str]:
    """The code cells of the session at ``scale``."""
    n = int(8_000_000 * scale)  # floats per large array: 64 MB at full size
    rows = int(2_000_000 * scale)  # dataframe rows
    sample = max(10_000, int(200_000 * scale))
    out = [
        "import numpy as np\nimport pandas as pd\n"
        "from sklearn.linear_model import Ridge\nfrom sklearn.cluster import MiniBatchKMeans\n"
        "from sklearn.decomposition import PCA\nfrom sklearn.ensemble import RandomForestRegressor\n"
        "rng = np.random.default_rng(20240601)",
    ]
    # 20 large arrays (1.28 GB at full size), each cell with the small parameters an analyst keeps.
    for c in range(10):
        out.append(
            f"a{2 * c} = rng.standard_normal({n})\n"
            f"a{2 * c + 1} = rng.uniform(-1, 1, {n})\n"
            f"params{c} = {{'window': {5 + c}, 'alpha': {c / 10}, 'tags': ['run{c}', 'v2']}}\n"
            f"threshold{c} = {0.5 + c / 100}\n"
            f"names{c} = [f'feature_{{i}}' for i in range({20 + c})]\n"
            f"weights{c} = np.linspace(0, 1, {64 + c})\n"
            f"notes{c} = 'batch {c}: uniform and normal draws'"
        )
    # 4 dataframes with numeric, integer, categorical and string columns (~350 MB at full size).
    for d in range(4):
        strings = (
            f", 'city': rng.choice(np.array(['Oslo', 'Lima', 'Pune', 'Kyiv', 'Lagos']), {rows // 2}).tolist() * 2"
            if d == 0
            else ""
        )
        out.append(
            f"df{d} = pd.DataFrame({{'x': rng.standard_normal({rows}), 'y': rng.standard_normal({rows}),"
            f" 'w': rng.exponential(1.0, {rows}), 'g': rng.integers(0, 100, {rows}),"
            f" 'label': pd.Categorical(rng.choice(['red', 'green', 'blue'], {rows})){strings}}})\n"
            f"rows{d} = len(df{d})"
        )
    out += [
        # Reductions and in-place updates (also through an alias).
        "means = {f'a{i}': float(globals()[f'a{i}'].mean()) for i in range(20)}\n"
        "stds = [float(a.std()) for a in (a0, a1, a2, a3, a4, a5, a6, a7)]",
        "view = a0\nview *= 1.01\na1 += a2\nnp.clip(a3, -2, 2, out=a3)\nnp.sqrt(np.abs(a2, out=a2), out=a2)",
        "stats0 = df0.groupby('g')[['x', 'y', 'w']].agg(['mean', 'std', 'max'])\n"
        "by_city = df0.groupby('city', observed=True).w.sum()",
        "stats1 = df1.groupby(['label', 'g'], observed=True).x.describe()",
        "df2['z'] = df2.x * 2 + df2.y\ndf2['rolling'] = df2.z.rolling(50).mean()\ndf2.dropna(inplace=True)",
        "X = np.column_stack([df3.x.values, df3.y.values, df3.w.values, df3.g.values])\n"
        "y_t = df3.x.values * 3 - df3.w.values + rng.standard_normal(len(df3))",
        "ridge = Ridge(alpha=1.0).fit(X, y_t)\nridge_score = ridge.score(X, y_t)\nresid = y_t - ridge.predict(X)",
        f"km = MiniBatchKMeans(n_clusters=8, n_init=3, random_state=0).fit(X[:{sample * 2}])\n"
        "clusters = km.predict(X)",
        f"pca = PCA(n_components=4, random_state=0).fit(X[:{sample * 5}])\nprojected = pca.transform(X)",
        f"forest = RandomForestRegressor(n_estimators=20, max_depth=10, random_state=0).fit(X[:{sample // 4}], y_t[:{sample // 4}])\n"
        "forest_pred = forest.predict(X[:100_000])",
        f"m = rng.standard_normal(({int(1500 * scale ** 0.5)}, {int(1500 * scale ** 0.5)}))\nu, sv, vt = np.linalg.svd(m)",
        "order = np.argsort(a4)\nsorted_a4 = a4[order]",
        "top = df1.nlargest(10_000, 'x')\nbottom = df1.nsmallest(10_000, 'x')",
        "corr = np.corrcoef(np.vstack([a5[:2_000_000], a6[:2_000_000], a7[:2_000_000]]))",
        "hist, edges = np.histogram(a8, bins=500)\ncum = np.cumsum(a9)",
        "counts = df1.g.value_counts().rename('n').reset_index()\nmerged = df1.merge(counts, on='g').sort_values('x')",
        "pivot = df2.pivot_table(index='g', columns='label', values='x', aggfunc='mean', observed=True)",
        "total = sum(float(a.sum()) for a in (a10, a11, a12, a13))\nenergy = float((a14 ** 2).sum())\nsummary = {'score': ridge_score, 'total': total, 'energy': energy}",
        "del sorted_a4, order\nprint(summary, len(top), len(merged))",
    ]
    return out


def notebook(scale: float) -> dict:
    """An nbformat 4.5 notebook of :func:`cells` with stable cell ids."""
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "elastic_notebook_bench": {"scale": scale},
        },
        "cells": [
            {
                "cell_type": "code",
                "id": f"bench-{i:03d}",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": source.splitlines(keepends=True),
            }
            for i, source in enumerate(cells(scale))
        ],
    }


def main() -> None:
    NOTEBOOKS.mkdir(exist_ok=True)
    for name, scale in SIZES.items():
        path = NOTEBOOKS / f"{name}.ipynb"
        path.write_text(json.dumps(notebook(scale), indent=1) + "\n")
        print(path)


if __name__ == "__main__":
    main()
