"""A tracker in one call: every wave read, weighted and indexed, then the changes between waves.

No statistics live here (see :mod:`surveyindex.index.waves`); this module reads the waves, builds
each wave's design as :func:`surveyindex.run_pipeline` does (its layout's strata, else
country; Rao-Wu bootstrap; raking to that wave's margins) and hands them to :func:`surveyindex.compute_tracker`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from .errors import ResponseDataError
from .index import Tracker, compute_tracker
from .instrument import Instrument, load_instrument
from .io import margin_codes, read_margins, read_responses
from .pipeline import base_design, weight_design


def run_tracker(waves, instrument: str | Path | Instrument = "softpower", margins=None, *,
                wave: str = "wave", replicates: int = 200, seed: int = 1, by: str | None = None,
                client=None, **options) -> Tracker:
    """Read, weight and index every wave, and compare the waves.

    Parameters
    ----------
    waves : one of
        - a mapping wave name -> responses (path or DataFrame), or -> a mapping with keys
          ``responses``, and optionally ``margins`` and ``instrument`` (that wave's version);
        - a DataFrame or file with a ``wave`` column (one row per respondent and wave);
        - a Parquet dataset (a folder, e.g. partitioned ``wave=2023/``) read one wave at a time
          with ``dask.dataframe``.

        Each wave is read and weighted when the tracker first needs it and released once its
        changes are computed: with ``pairs="consecutive"`` (default) or ``"first"`` at most two
        waves are in memory at once. One wave (its respondents and replicate weights) must fit.
    margins : population margins for every wave (path or DataFrame); a ``wave`` column in it
        gives each wave its own margins.
    replicates, seed : bootstrap replicates per wave; wave ``k`` (from 0) uses ``seed + k``.
    client : a ``dask.distributed`` client, scheduler address or compute mapping (see
        :func:`surveyindex.design.distributed.get_client`): raking and the index run on it.
    options : passed to :func:`surveyindex.compute_tracker` (``pairs``, ``items``,
        ``comparable``, ``panel_id``, ``audiences``, ``level`` and index options).

    >>> import surveyindex as si
    >>> sims = {w: si.simulate_softpower(n_per_country=80, countries=["BRA", "JPN"], seed=s,
    ...                                  problems=False) for w, s in (("2022", 1), ("2023", 2))}
    >>> tr = run_tracker({w: {"responses": s.responses} for w, s in sims.items()},
    ...                  replicates=10, audiences=["all"])           # doctest: +SKIP
    """
    from .design import get_client

    client = get_client(client)
    parts = _wave_parts(waves, wave)

    def load(k, name, part):
        # Read and weight one wave; compute_tracker calls this when it first needs the wave and
        # drops the design once that wave's changes are computed.
        inst = part.get("instrument", instrument)
        inst = inst if isinstance(inst, Instrument) else load_instrument(inst)
        resp = read_responses(part["responses"](), inst)
        g = by or inst.weighting.by
        d = base_design(resp, g).with_replicates("bootstrap", n=replicates, seed=seed + k)
        m = part.get("margins", margins)
        table = None if m is None else margin_codes(_margins_for(m, name, wave), inst)
        return weight_design(d, table, by=g, tolerance=inst.weighting.tolerance,
                             max_iterations=inst.weighting.max_iterations, client=client)

    loaders = {name: (lambda k=k, name=name, part=part: load(k, name, part))
               for k, (name, part) in enumerate(parts.items())}
    return compute_tracker(loaders, client=client, **options)


def parquet_waves(path: str | Path, wave: str = "wave") -> dict:
    """Wave name -> a loader of that wave's rows of a Parquet dataset (``dask.dataframe``,
    reading only the row groups of that wave)."""
    from .design import require_distributed

    require_distributed()
    import dask.dataframe as dd

    ddf = dd.read_parquet(str(path))
    if wave not in ddf.columns:
        raise ResponseDataError(f"{path}: no {wave!r} column (or partition) in the Parquet "
                                f"dataset; columns: {list(ddf.columns)}")
    # Distinct waves partition by partition (no shuffle), in their stored type for the filter.
    values = ddf[wave].map_partitions(lambda s: s.drop_duplicates()).compute().unique()
    values = sorted(v.item() if hasattr(v, "item") else v for v in values)

    def loader(v):
        return lambda: (dd.read_parquet(str(path), filters=[(wave, "==", v)])
                        .compute().drop(columns=[wave]).reset_index(drop=True))
    return {str(v): loader(v) for v in values}


def _wave_parts(waves, wave) -> dict:
    if isinstance(waves, Mapping):
        out = {}
        for name, part in waves.items():
            part = dict(part) if isinstance(part, Mapping) else {"responses": part}
            src = part["responses"]
            part["responses"] = src if callable(src) else (lambda s=src: s)
            out[str(name)] = part
        return out
    if isinstance(waves, (str, Path)) and Path(waves).is_dir():
        return {w: {"responses": f} for w, f in parquet_waves(waves, wave).items()}
    df = waves if isinstance(waves, pd.DataFrame) else _read_table(waves)
    if wave not in df.columns:
        raise ResponseDataError(f"the responses have no {wave!r} column to split the waves by; "
                                f"columns: {list(df.columns)[:12]}...")
    return {str(w): {"responses": (lambda g=g: g.drop(columns=[wave]).reset_index(drop=True))}
            for w, g in df.groupby(wave, sort=True)}


def _read_table(path) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise ResponseDataError(f"{path}: response file not found")
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


def _margins_for(margins, name, wave) -> pd.DataFrame:
    table = read_margins(margins)
    if wave in table.columns:
        table = table[table[wave].astype(str) == name].drop(columns=[wave])
        if table.empty:
            raise ResponseDataError(f"the margins have no rows for wave {name!r}")
    return table
