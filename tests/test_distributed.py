"""Dask: raking, the index over replicates and the sensitivity runs on a real LocalCluster give
the local numbers (identical for raking and sensitivity; within 1e-12 for replicate means)."""

import builtins

import numpy as np
import pandas as pd
import pytest

import surveyindex as si
from surveyindex.errors import MissingDependencyError

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def design():
    inst = si.load_instrument("softpower")
    df = pd.read_csv(si.sample_paths()["responses"])
    r = si.read_responses(df[df["country"].isin(["BRA", "JPN", "DEU"])], inst)
    return si.make_design(r).with_replicates("bootstrap", n=30, seed=3)


@pytest.fixture(scope="module")
def margins():
    m = pd.read_csv(si.sample_paths()["margins"], dtype={"category": str})
    return m[m["country"].isin(["BRA", "JPN", "DEU"]) & m["variable"].isin(["gender", "age_group"])]


def test_raking_on_cluster_is_identical(client, design, margins, monkeypatch):
    monkeypatch.setattr("surveyindex.design.distributed.REPLICATE_BLOCK", 7)  # 5 blocks
    local = design.rake(margins, by="country")
    remote = design.rake(margins, by="country", client=client)
    assert np.array_equal(local.weights, remote.weights)
    assert np.array_equal(np.asarray(local.replicate_weights), np.asarray(remote.replicate_weights))
    assert local.steps[-1]["iterations"] == remote.steps[-1]["iterations"]


def test_raking_on_cluster_with_empty_cells_is_identical(client, design):
    # four margins: the cell grid has cells no respondent falls in, whose cluster totals must be
    # 0 as locally (they were left uninitialised, and IPF took another path)
    m = pd.read_csv(si.sample_paths()["margins"], dtype={"category": str})
    m = m[m["country"].isin(["BRA", "JPN", "DEU"])]
    local = design.rake(m, by="country")
    remote = design.rake(m, by="country", client=client)
    assert np.array_equal(local.weights, remote.weights)
    assert np.array_equal(np.asarray(local.replicate_weights), np.asarray(remote.replicate_weights))


def test_index_on_cluster_matches_local(client, design, margins, monkeypatch):
    monkeypatch.setattr("surveyindex.index.distributed.REPLICATE_BLOCK", 8)   # 4 blocks
    d = design.rake(margins, by="country")
    local = si.compute_index(d, audiences=["all", "g20_youth"])
    remote = si.compute_index(d, audiences=["all", "g20_youth"], client=client)
    for name in ("items", "dimensions", "composite", "ranks", "pooled", "comparison"):
        a, b = getattr(local, name), getattr(remote, name)
        assert a.shape == b.shape and list(a.columns) == list(b.columns)
        num = a.select_dtypes("number").columns
        np.testing.assert_allclose(b[num].to_numpy(float), a[num].to_numpy(float),
                                   rtol=1e-12, atol=1e-12, err_msg=name)
    assert local.composite[["country", "target"]].equals(remote.composite[["country", "target"]])


def test_sensitivity_on_cluster_is_identical(client, design):
    factors = {"normalisation": ["scale", "minmax"], "aggregation": ["arithmetic", "geometric"]}
    kw = dict(audiences=["all"], sensitivity=8, sensitivity_factors=factors, seed=2)
    local = si.compute_index(design, **kw)
    remote = si.compute_index(design, client=client, **kw)
    pd.testing.assert_frame_equal(local.sensitivity, remote.sensitivity)
    pd.testing.assert_frame_equal(local.sensitivity_indices, remote.sensitivity_indices)


def test_missing_dask_names_the_extra(monkeypatch):
    from surveyindex.design.distributed import require_distributed

    real = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name.startswith("distributed"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(MissingDependencyError, match=r"surveyindex\[dask\]"):
        require_distributed()


def test_tracker_from_parquet_partitions_on_cluster(client, tmp_path):
    # Two waves in one Parquet dataset partitioned by wave, read a wave at a time with
    # dask.dataframe; the tracker on the cluster equals the one from a wave column, locally.
    frames = []
    for w, seed in ((2022, 1), (2023, 2)):
        sim = si.simulate_softpower(n_per_country=40, countries=["BRA", "JPN"], seed=seed,
                                    problems=False)
        frames.append(sim.responses.assign(wave=w, resp_id=lambda d, w=w: f"{w}-" + d["resp_id"]))
    df = pd.concat(frames, ignore_index=True)
    df.to_parquet(tmp_path / "waves", partition_cols=["wave"])
    kw = dict(replicates=12, seed=4, audiences=["all"])
    remote = si.run_tracker(tmp_path / "waves", client=client, **kw)
    local = si.run_tracker(df, **kw)
    assert remote.waves == local.waves == ["2022", "2023"]
    num = local.changes.select_dtypes("number").columns
    np.testing.assert_allclose(remote.changes[num].to_numpy(float),
                               local.changes[num].to_numpy(float), rtol=1e-12, atol=1e-12)
    assert len(local.changes) == 2 * 2 * (20 + 5 + 1)


def test_tracker_holds_two_waves_at_a_time(client, tmp_path, monkeypatch):
    # Four waves from a Parquet dataset on the cluster: each wave is read and weighted once, when
    # first needed, and released after its changes, so at most two waves' designs are alive at
    # any time; the numbers equal compute_tracker on all four designs built up front, locally.
    import gc
    import weakref

    import surveyindex.tracker as trk

    frames = []
    for w in range(4):
        sim = si.simulate_softpower(n_per_country=30, countries=["BRA", "JPN"], seed=w + 1,
                                    problems=False)
        frames.append(sim.responses.assign(wave=2020 + w,
                                           resp_id=lambda d, w=w: f"{w}-" + d["resp_id"]))
    df = pd.concat(frames, ignore_index=True)
    df.to_parquet(tmp_path / "waves", partition_cols=["wave"])
    alive, loads, weight = [], [], trk.weight_design

    def counting(*args, **kwargs):
        gc.collect()
        loads.append(sum(r() is not None for r in alive))   # designs alive before this one
        d = weight(*args, **kwargs)
        alive.append(weakref.ref(d))
        return d

    monkeypatch.setattr(trk, "weight_design", counting)
    kw = dict(replicates=10, seed=2, audiences=["all"])
    for pairs in ("consecutive", "first"):
        alive.clear(), loads.clear()
        remote = si.run_tracker(tmp_path / "waves", client=client, pairs=pairs, **kw)
        assert loads == [0, 1, 1, 1]                 # one wave read at a time, one kept
        monkeypatch.setattr(trk, "weight_design", weight)
        inst = si.load_instrument("softpower")
        eager = {str(2020 + w): trk.base_design(
            si.read_responses(g.drop(columns="wave").reset_index(drop=True), inst), "country")
            .with_replicates("bootstrap", n=10, seed=2 + w)
            for w, (_, g) in enumerate(df.groupby("wave"))}
        local = si.compute_tracker(eager, pairs=pairs, audiences=["all"])
        monkeypatch.setattr(trk, "weight_design", counting)
        assert remote.waves == local.waves == ["2020", "2021", "2022", "2023"]
        num = local.changes.select_dtypes("number").columns
        assert len(local.changes) == 3 * 2 * 2 * (20 + 5 + 1)
        np.testing.assert_allclose(remote.changes[num].to_numpy(float),
                                   local.changes[num].to_numpy(float), rtol=1e-12, atol=1e-12)


def test_project_compute_section(tmp_path):
    # compute: starts a LocalCluster for the run (2 in-process workers) and stops it after.
    import shutil

    for name in ("responses", "margins"):
        shutil.copy(si.sample_paths()[name], tmp_path)
    base = ("instrument: softpower\nresponses: softpower_sample.csv\nmargins: margins.csv\n"
            "replicates: {n: 6, seed: 2}\nindex: {audiences: [all]}\n")
    (tmp_path / "local.yaml").write_text(base)
    (tmp_path / "dask.yaml").write_text(base + "compute: {workers: 2, processes: false}\n")
    local = si.run_project(tmp_path / "local.yaml", write=False, progress=False)
    remote = si.run_project(tmp_path / "dask.yaml", write=False, progress=False)
    np.testing.assert_allclose(remote.index.composite["score"], local.index.composite["score"],
                               rtol=1e-12)
    np.testing.assert_allclose(remote.index.composite["se"], local.index.composite["se"],
                               rtol=1e-12)
