"""iadb_graphics.parallel and the batch CLI on a 2-process dask.distributed cluster (loopback)."""
import argparse
import concurrent.futures
import os

import numpy as np
import pytest

pytest.importorskip("distributed")
os.environ.setdefault("OMP_WAIT_POLICY", "passive")  # inherited by the worker processes

import dask  # noqa: E402
import dask.array as da  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402

from iadb_graphics import Gaussian, GridIADBMap, IADBMap  # noqa: E402
from iadb_graphics.cli.batch import add_batch_arguments, expand_sources, run_batch  # noqa: E402
from iadb_graphics.color import apply_lut, transfer  # noqa: E402
from iadb_graphics.io import read_image, write_image  # noqa: E402
from iadb_graphics.color.batch import batch_lut, transfer_many  # noqa: E402
from iadb_graphics.parallel import map_points  # noqa: E402
from iadb_graphics.transport import SlicedOTMap  # noqa: E402

FAST_GRID = {"method": "grid", "bins": 16, "n_pairs": 4096, "n_steps": 8}  # a small colour grid map: fit in ~0.1 s
N_IMAGES = 20


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None, env={"OMP_WAIT_POLICY": "passive"})
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """20 small synthetic RGB images, a corrupt one among them (6th), and a palette image."""
    folder = tmp_path_factory.mktemp("src")
    rng = np.random.default_rng(0)
    paths = []
    for i in range(N_IMAGES):
        ramp = np.linspace(0, 1, 32)
        img = np.stack([np.outer(ramp, 1 - ramp) * (0.5 + i / 40), np.outer(1 - ramp, ramp),
                        rng.random((32, 32)) * 0.3 + i / 30], axis=-1)
        path = str(folder / f"frame{i:02d}.png")
        write_image(path, (np.clip(img, 0, 1) * 255).astype(np.uint8))
        paths.append(path)
    bad = str(folder / "broken.png")
    with open(bad, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + b"\x00truncated")
    palette = (rng.random((24, 24, 3)) * [60, 255, 140]).astype(np.uint8)
    return paths, bad, palette


def _no_leftovers(out_dir):
    hidden = [f for f in os.listdir(out_dir) if f.startswith(".")]
    assert hidden == [], f"temporary files or staging folders left behind: {hidden}"


# --------------------------------------------------------------------------- map_points

@pytest.fixture(scope="module")
def grid_map():
    return GridIADBMap(bins=32, n_pairs=8192, n_steps=8).fit(
        Gaussian([0.0, 0.0], np.eye(2)), Gaussian([1.0, 0.5], [[0.5, 0.2], [0.2, 0.3]]), rng=1)


def test_map_points_grid_bit_for_bit(client, grid_map):
    x = np.random.default_rng(2).normal(size=(5000, 2))
    lazy = map_points(da.from_array(x, chunks=(1100, 2)), grid_map)
    assert isinstance(lazy, da.Array) and lazy.chunks[0] == (1100,) * 4 + (600,)
    np.testing.assert_array_equal(lazy.compute(), grid_map.transform(x))
    y_lazy, ld_lazy = map_points(da.from_array(x, chunks=(1100, 2)), grid_map, return_log_det=True)
    y, ld = dask.compute(y_lazy, ld_lazy)
    y_ref, ld_ref = grid_map.transform(x, return_log_det=True)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(ld, ld_ref)
    back = map_points(da.from_array(y_ref, chunks=(2000, 2)), grid_map, inverse=True).compute()
    np.testing.assert_array_equal(back, grid_map.inverse_transform(y_ref))


def test_map_points_mlp_bit_for_bit(client):
    m = IADBMap(width=16, depth=2, x_features=8, n_iters=20, batch_size=128).fit(
        Gaussian([0.0, 0.0], np.eye(2)), Gaussian([1.0, 1.0], 0.5 * np.eye(2)), rng=3)
    x = np.random.default_rng(4).normal(size=(3000, 2))
    lazy_y, lazy_ld = map_points(da.from_array(x, chunks=(700, 2)), m, return_log_det=True, n_steps=8)
    y, ld = dask.compute(lazy_y, lazy_ld)
    y_ref, ld_ref = m.transform(x, n_steps=8, return_log_det=True)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(ld, ld_ref)


def test_map_points_inputs(grid_map):
    x = np.random.default_rng(5).normal(size=(300, 2))
    np.testing.assert_array_equal(map_points(x, grid_map), grid_map.transform(x))  # numpy in → numpy out
    split = da.from_array(x.astype(np.float32), chunks=(100, 1))  # chunked along d: merged
    out = map_points(split, grid_map).compute(scheduler="sync")
    np.testing.assert_array_equal(out, grid_map.transform(x.astype(np.float32)))
    with pytest.raises(ValueError, match="d=2"):
        map_points(da.zeros((10, 3), chunks=5), grid_map)
    with pytest.raises(ValueError, match="shape"):
        map_points(da.zeros(10, chunks=5), grid_map)
    sliced = SlicedOTMap(n_iters=2).fit(x, x + 1.0, rng=0)
    with pytest.raises(ValueError, match="return_log_det"):
        map_points(da.zeros((10, 2), chunks=5), sliced, inverse=True, return_log_det=True)
    with pytest.raises(Exception, match="not fitted"):
        map_points(da.zeros((10, 2), chunks=5), GridIADBMap())


# --------------------------------------------------------------------------- transfer_many

def test_transfer_many_on_cluster_equals_single_transfers(client, images, tmp_path):
    paths, bad, palette = images
    batch = paths[:5] + [bad] + paths[5:]
    out_dir = tmp_path / "out"
    summary = transfer_many(batch, palette, str(out_dir), client=client, lut_size=9, rng=7, **FAST_GRID)
    assert [s[0] for s in summary] == batch
    failed = [s for s in summary if not s[1]]
    assert len(failed) == 1 and failed[0][0] == bad and "broken.png" in failed[0][2]
    lut = batch_lut(batch, palette, lut_size=9, rng=7, **FAST_GRID)  # the same fit, in process
    for p in paths:
        np.testing.assert_array_equal(read_image(str(out_dir / os.path.basename(p))), apply_lut(read_image(p), lut))
    assert sorted(os.listdir(out_dir)) == sorted(os.path.basename(p) for p in paths)  # nothing else: no temp files
    with pytest.raises(FileExistsError):
        transfer_many(paths[:2], palette, str(out_dir), client=client, lut_size=9, rng=7, **FAST_GRID)


def test_one_image_equals_transfer_and_threads_equal_cluster(client, images, tmp_path):
    paths, _, palette = images
    summary = transfer_many(paths[:1], palette, str(tmp_path / "one"), lut_size=9, rng=11, **FAST_GRID)
    assert summary[0][1]
    expected = transfer(read_image(paths[0]), palette, lut_size=9, rng=11, **FAST_GRID)
    np.testing.assert_array_equal(read_image(summary[0][2]), expected)
    # pooled fit: same LUT on local threads and on the cluster; "first" differs from "pooled"
    pooled = batch_lut(paths, palette, lut_size=9, rng=12, **FAST_GRID)
    np.testing.assert_array_equal(batch_lut(paths, palette, client=client, lut_size=9, rng=12, **FAST_GRID), pooled)
    first = batch_lut(paths, palette, lut_size=9, rng=12, fit_on="first", **FAST_GRID)
    assert not np.array_equal(first, pooled)


def test_transfer_many_bad_usage(images, tmp_path):
    paths, _, palette = images
    with pytest.raises(ValueError, match="both be written"):
        transfer_many([paths[0], paths[0]], palette, str(tmp_path))
    with pytest.raises(ValueError, match="source itself"):
        transfer_many(paths[:1], palette, os.path.dirname(paths[0]), overwrite=True)
    with pytest.raises(ValueError, match="method"):
        transfer_many(paths[:1], palette, str(tmp_path), method="nope")
    with pytest.raises(ValueError, match="empty"):
        transfer_many([], palette, str(tmp_path))


# --------------------------------------------------------------------------- command line

def _parse(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("sources", nargs="+")
    parser.add_argument("palette")
    parser.add_argument("--method", default="grid")
    parser.add_argument("--space", default="lab")
    parser.add_argument("--lut-size", type=int, default=9)
    parser.add_argument("--strength", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--force", action="store_true")
    add_batch_arguments(parser)
    args = parser.parse_args(argv)
    return args.sources, args.palette, args


def test_cli_batch(client, images, tmp_path, capsys):
    paths, bad, _ = images
    folder = os.path.dirname(paths[0])
    pal = "#264653,#2a9d8f,#e9c46a,#e76f51"
    assert len(expand_sources([folder])) == N_IMAGES + 1
    code = run_batch(*_parse([folder, pal, "--out-dir", str(tmp_path / "a"), "--seed", "1",
                              "--method", "reinhard"]))
    err = capsys.readouterr().err
    assert code == 1 and f"failed: {bad}" in err and f"{N_IMAGES} of {N_IMAGES + 1} image(s) written" in err
    scheduler = client.scheduler.address
    code = run_batch(*_parse([os.path.join(folder, "frame0*.png"), pal, "--out-dir", str(tmp_path / "b"),
                              "--scheduler", scheduler, "--method", "reinhard"]))
    assert code == 0 and len(os.listdir(tmp_path / "b")) == 10
    assert "10 of 10 image(s) written" in capsys.readouterr().err
    for argv in ([paths[0], pal],  # no --out-dir
                 [paths[0], pal, "--out-dir", str(tmp_path / "c"), "--workers", "2", "--scheduler", scheduler],
                 [str(tmp_path / "missing*.png"), pal, "--out-dir", str(tmp_path / "c")],
                 [paths[0], "not-a-palette", "--out-dir", str(tmp_path / "c")],
                 [paths[0], pal, "--out-dir", str(tmp_path / "b"), "--method", "reinhard"]):  # exists, no --force
        assert run_batch(*_parse(argv)) == 2
        assert capsys.readouterr().err.startswith("iadb-graphics color-transfer: error:")


# --------------------------------------------------------------------------- fault tolerance

@pytest.mark.slow
def test_worker_killed_mid_run(client, tmp_path):
    """One worker process dies (os._exit) while tasks are pending: the batch still completes,
    every output is whole and correct, and no temporary file is left."""
    rng = np.random.default_rng(21)
    src = tmp_path / "src"
    src.mkdir()
    paths = []
    for i in range(40):
        path = str(src / f"f{i:02d}.png")
        write_image(path, (rng.random((96, 96, 3)) * 255).astype(np.uint8))
        paths.append(path)
    palette = (rng.random((16, 16, 3)) * [255, 90, 40]).astype(np.uint8)
    killed = {}

    async def die():  # a coroutine, so that run(wait=False) returns at once; pickled by value
        os._exit(1)

    def on_done(path, ok, message):
        if killed:
            return
        busy = {a: len(k) for a, k in client.processing().items()}
        victim = max(busy, key=busy.get)
        killed.update(addr=victim, in_flight=sum(busy.values()))
        client.run(die, workers=[victim], wait=False)

    out_dir = tmp_path / "out"
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        job = pool.submit(transfer_many, paths, palette, str(out_dir), client=client, lut_size=9, rng=5,
                          progress=on_done, **FAST_GRID)
        summary = job.result(timeout=120)
    assert killed and killed["in_flight"] > 0, "the worker was not killed while tasks were pending"
    assert all(ok for _, ok, _ in summary), [s for s in summary if not s[1]]
    lut = batch_lut(paths, palette, lut_size=9, rng=5, **FAST_GRID)
    for p in paths:
        np.testing.assert_array_equal(read_image(str(out_dir / os.path.basename(p))), apply_lut(read_image(p), lut))
    _no_leftovers(out_dir)
    assert killed["addr"] not in client.scheduler_info()["workers"]  # it really died
    client.wait_for_workers(2, timeout=60)  # the nanny restarts it


def test_works_without_dask(tmp_path):
    """With Dask unimportable: the package imports, numpy paths work, --workers says how to get Dask."""
    import subprocess
    import sys

    code = f"""
import sys
sys.modules["dask"] = sys.modules["distributed"] = None
import argparse, numpy as np
import iadb_graphics
from iadb_graphics.color import batch
from iadb_graphics.cli.batch import add_batch_arguments, run_batch
from iadb_graphics.io import write_image
write_image({str(tmp_path / 'a.png')!r}, np.full((8, 8, 3), 90, np.uint8))
summary = batch.transfer_many([{str(tmp_path / 'a.png')!r}], "#264653,#e76f51", {str(tmp_path / 'out')!r},
                                 method="reinhard", rng=0)
assert summary[0][1], summary
p = argparse.ArgumentParser(); add_batch_arguments(p)
args = p.parse_args(["--out-dir", {str(tmp_path / 'o2')!r}, "--workers", "2"])
sys.exit(run_batch([{str(tmp_path / 'a.png')!r}], "#264653", args))
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert res.returncode == 2, res.stderr
    assert 'pip install "iadb_graphics[dask]"' in res.stderr


def test_batch_grades_with_the_default_method_of_transfer(images):
    """Without a method, a batch grades as ``transfer`` does: same method, same LUT size, same LUT."""
    from iadb_graphics.color import grade_lut
    from iadb_graphics.color.transfer import DEFAULT_LUT_SIZE, DEFAULT_METHOD

    paths, _, palette = images
    lut = batch_lut(paths[:1], palette, rng=4)
    assert lut.shape[0] == DEFAULT_LUT_SIZE.get(DEFAULT_METHOD, 33)
    np.testing.assert_array_equal(lut, grade_lut(read_image(paths[0]), palette, rng=4))
