"""Build examples/coming_from_r.ipynb and run it in a fresh Jupyter kernel (issue 16's check).

    python tools/check_notebook.py          # from the repository root; needs nbclient, ipykernel

tests/test_notebook_kernel.py runs the same check (without writing the notebook) in the suite.

The notebook is the session a statistician coming from R would write: R's api data and the
bundled sample, the R-mapping calls, the displays, the plots and the design effects. After the
run, every displayed object must have rendered as HTML or PNG (a plot never as
``<Figure size ...>``), and no cell may fail. The executed copy is not kept.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
CELLS = [
    ("md", "# Coming from R: a first session\n\nR's `api` data (as `write.csv` exported them) "
           "and the bundled soft-power sample; each cell is the R call's equivalent "
           "(docs/coming-from-r.md)."),
    ("code", "import numpy as np, pandas as pd, surveyindex as si\n"
             "apiclus1 = pd.read_csv('tests/reference/data/apiclus1.csv')\n"
             "apistrat = pd.read_csv('tests/reference/data/apistrat.csv')"),
    ("code", "# dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)\n"
             "dclus1 = si.make_design(apiclus1, weights='pw', psu='dnum', fpc='fpc')\ndclus1"),
    ("code", "# svymean(~api00, dclus1, deff=TRUE)\nest = si.estimate_means(dclus1, 'api00')\nest"),
    ("code", "float(est['api00']), est.coef, est.SE"),
    ("code", "# svymean(~stype, dclus1)\nsi.estimate_means(dclus1, 'stype')"),
    ("code", "# svyciprop(~I(stype=='E'), dclus1, method='logit')\n"
             "si.estimate_proportions(dclus1, 'stype')['stype=E'].table()"),
    ("code", "# confint(svymean(~api00, dclus1), df=degf(dclus1))\n"
             "si.estimate_means(dclus1, 'api00', df='design').confint(), "
             "si.degrees_of_freedom(dclus1)"),
    ("code", "# svyby(~api00, ~stype, dclus1, svymean)\n"
             "si.estimate_means(dclus1, ['api00', 'api99'], by='stype')"),
    ("code", "# svyquantile(~api00, dclus1, c(.25, .5, .75))\n"
             "si.estimate_quantiles(dclus1, 'api00')"),
    ("code", "# svydesign(id=~1, weights=~wn, data=apistrat), weights summing to n\n"
             "dn = si.make_design(apistrat.assign(wn=apistrat.pw * len(apistrat) / "
             "apistrat.pw.sum()), weights='wn')\n"
             "si.estimate_means(dn, 'api00').table()[['estimate', 'se', 'deff', 'deff_kish']]"),
    ("code", "# svydesign(id=~1, weights=~pw, data=apistrat): no strata unless asked\n"
             "si.make_design(apistrat, weights='pw')"),
    ("md", "## The bundled sample"),
    ("code", "inst = si.load_instrument('softpower')\ninst"),
    ("code", "resp = si.read_responses(si.sample_paths()['responses'], inst)\nresp"),
    ("code", "resp.ledger"),
    ("code", "resp.to_frame(wide=True).head()"),
    ("code", "si.cronbach_alpha(resp.to_frame(wide=True)[['USA_mor1', 'USA_mor2', 'USA_mor3', "
             "'USA_mor4']])"),
    ("code", "res = si.run_pipeline(replicates=20, seed=1, progress=False)\nres"),
    ("code", "res.design"),
    ("code", "res.index"),
    ("code", "# every score table: score, se, ci_low, ci_high on 0-100, the item scale beside as\n"
             "# mean, mean_se, mean_ci_low, mean_ci_high; n, n_eff (docs/tables.md)\n"
             "res.index.items.head()"),
    ("code", "res.index.pooled.head()"),
    ("code", "# leads named by the targets\n"
             "res.index.leads[['audience', 'measure', 'USA_leads', 'USA_leads_ci_low', "
             "'USA_leads_ci_high', 'CHN_leads']]"),
    ("code", "si.estimate_means(res.design, 'gender', by='country')"),
    ("code", "res.plot.forest()"),
    ("code", "res.plot.profile()"),
    ("code", "res.plot.ranks()"),
]
DISPLAYS = {"image/png", "text/html"}


def build() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(t) if kind == "md" else nbformat.v4.new_code_cell(t)
                for kind, t in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


def problems(nb: nbformat.NotebookNode | None = None, verbose: bool = False) -> list[str]:
    """Run the notebook in a fresh kernel; what did not display as it should (empty: all did)."""
    nb = build() if nb is None else nb
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    bad = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        results = [o for o in cell.outputs if o.output_type == "execute_result"]
        kinds = set().union(*(o.get("data", {}).keys() for o in results)) if results else set()
        text = " ".join(o.get("data", {}).get("text/plain", "") for o in results)
        if "<Figure size" in text:
            bad.append(f"cell {i}: a plot shown as text: {text[:80]}")
        needs_display = cell.source.rstrip().split("\n")[-1].split(".")[0] not in ("float(",)
        if results and needs_display and not kinds & DISPLAYS and "(" not in text[:1]:
            bad.append(f"cell {i}: no HTML or PNG display ({sorted(kinds)}): {text[:80]}")
        if verbose:
            print(f"cell {i:2d}: {sorted(kinds)} {text[:100]!r}")
    return bad


def main() -> int:
    nb = build()
    nbformat.write(nb, ROOT / "examples" / "coming_from_r.ipynb")
    bad = problems(nb, verbose=True)
    for b in bad:
        print("PROBLEM", b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
