"""Bad input against every command: exit code 2, one line naming the culprit, nothing written.

The corpus is made here: unreadable images (text renamed .png, empty, truncated HDR and EXR,
NaN pixels), bad point files (complex, empty, NaN, 3-D), .cube files the reader must refuse, and
bad output requests (existing files, two outputs on one path, wrong extensions, missing
folders, huge --n). Each case snapshots the output folder before and after.
"""
import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from iadb_graphics.cli import main
from iadb_graphics.io import write_image, write_points

COMMANDS = ("points", "warp", "color-transfer", "apply-lut", "demo")


def _snapshot(folder):
    out = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(root, name)
            rel = os.path.relpath(path, folder)
            if os.path.isdir(path):
                out[rel] = "dir"
            else:
                with open(path, "rb") as f:
                    out[rel] = (os.stat(path).st_mtime_ns, hashlib.sha256(f.read()).hexdigest())
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Good and bad input files, in a folder of their own (never written by the commands)."""
    d = tmp_path_factory.mktemp("corpus")
    y, x = np.mgrid[0:8, 0:10] / 10.0
    write_image(d / "good.png", np.round(np.stack([x, y, 0.5 + 0 * x], -1) * 255).astype(np.uint8))
    write_points(d / "good.npy", np.random.default_rng(0).random((16, 2)))
    (d / "text.png").write_text("this is not an image\n")
    (d / "empty.png").write_bytes(b"")
    write_image(d / "full.hdr", np.ones((16, 16, 3), np.float32) * 3)
    data = (d / "full.hdr").read_bytes()
    (d / "truncated.hdr").write_bytes(data[:len(data) // 2])
    write_image(d / "full.exr", np.ones((16, 16, 3), np.float32))
    data = (d / "full.exr").read_bytes()
    (d / "truncated.exr").write_bytes(data[:len(data) // 2])
    (d / "text.exr").write_text("not an exr\n")
    write_image(d / "nan.exr", np.full((4, 4, 3), np.nan, np.float32))
    write_image(d / "negative.exr", -np.ones((4, 4), np.float32))
    np.save(d / "complex.npy", np.ones((4, 2)) * (1 + 2j))
    (d / "empty.txt").write_text("")
    np.save(d / "nan.npy", np.full((4, 2), np.nan))
    np.save(d / "three_d.npy", np.zeros((4, 3)))
    lut = "".join(f"{r / 1} {g / 1} {b / 1}\n" for b in range(2) for g in range(2) for r in range(2))
    (d / "range4.cube").write_text("LUT_3D_SIZE 2\nLUT_3D_INPUT_RANGE 0 4\n" + lut)
    (d / "shaper.cube").write_text("LUT_1D_SIZE 2\nLUT_3D_SIZE 2\n0 0 0\n0.5 0.5 0.5\n" + lut)
    (d / "junk.cube").write_text("LUT_3D_SIZE 2\n" + "a b c\n" * 8)
    return d


@pytest.fixture
def out(tmp_path):
    """The output folder, holding one existing file of each kind a command might overwrite."""
    folder = tmp_path / "out"
    folder.mkdir()
    for name in ("old.npy", "old.png", "old.cube"):
        (folder / name).write_bytes(b"precious " + name.encode())
    return folder


def _base(command, corpus, out):
    """A valid invocation of ``command`` writing into ``out`` (checked by a test below)."""
    c, o = str(corpus), str(out)
    return {
        "points": ["points", "--kind", "white", "--n", "16", "-o", f"{o}/p.npy"],
        "warp": ["warp", "--target", f"{c}/good.png", "--points", f"{c}/good.npy", "-o", f"{o}/w.npy"],
        "color-transfer": ["color-transfer", f"{c}/good.png", "#336699,#ffcc00", "-o", f"{o}/ct.png",
                           "--method", "reinhard", "--lut-size", "5"],
        "apply-lut": ["apply-lut", f"{c}/good.png", f"{c}/range4.cube", "-o", f"{o}/al.png"],
        "demo": ["demo", "--out", f"{o}/demo", "--quick", "--method", "grid"],
    }[command]


def _replace(argv, flag, value):
    argv = list(argv)
    argv[argv.index(flag) + 1] = value
    return argv


def _cases(corpus, out):
    """(id, argv, culprit) for every bad input, across every command."""
    c, o = str(corpus), str(out)
    cases = []
    bad_images = ["text.png", "empty.png", "truncated.hdr", "truncated.exr", "text.exr", "nan.exr", "missing.png"]
    for name in bad_images:
        cases.append((f"warp-target-{name}", _replace(_base("warp", c, o), "--target", f"{c}/{name}"), name))
        cases.append((f"points-density-{name}", _base("points", c, o)[:1] + ["--kind", "bluenoise", "--n", "16",
                      "--iters", "2", "--density", f"{c}/{name}", "-o", f"{o}/p.npy"], name))
        cases.append((f"color-transfer-source-{name}",
                      ["color-transfer", f"{c}/{name}", "#336699,#ffcc00", "-o", f"{o}/ct.png"], name))
        cases.append((f"color-transfer-palette-{name}",
                      ["color-transfer", f"{c}/good.png", f"{c}/{name}", "-o", f"{o}/ct.png"], name))
        cases.append((f"apply-lut-image-{name}", ["apply-lut", f"{c}/{name}", f"{c}/junk.cube", "-o",
                                                  f"{o}/al.png"], name))
    cases.append(("warp-target-negative", _replace(_base("warp", c, o), "--target", f"{c}/negative.exr"),
                  "negative.exr"))
    for name in ("complex.npy", "empty.txt", "nan.npy", "three_d.npy", "missing.npy"):
        cases.append((f"warp-points-{name}", _replace(_base("warp", c, o), "--points", f"{c}/{name}"), name))
    for name in ("range4.cube", "shaper.cube", "junk.cube", "missing.cube"):
        cases.append((f"apply-lut-{name}", ["apply-lut", f"{c}/good.png", f"{c}/{name}", "-o", f"{o}/al.png"],
                      name))
    # outputs: existing files, shared paths, wrong extensions, missing folders
    cases += [
        ("points-exists", _replace(_base("points", c, o), "-o", f"{o}/old.npy"), "old.npy"),
        ("warp-exists", _replace(_base("warp", c, o), "-o", f"{o}/old.npy"), "old.npy"),
        ("warp-pdf-exists", _base("warp", c, o) + ["--pdf", f"{o}/old.npy"], "old.npy"),
        ("color-transfer-exists", _replace(_base("color-transfer", c, o), "-o", f"{o}/old.png"), "old.png"),
        ("color-transfer-cube-exists", _base("color-transfer", c, o) + ["--cube", f"{o}/old.cube"], "old.cube"),
        ("apply-lut-exists", ["apply-lut", f"{c}/good.png", f"{c}/junk.cube", "-o", f"{o}/old.png"], "old.png"),
        ("warp-same-path", _base("warp", c, o) + ["--pdf", f"{o}/w.npy"], "--pdf"),
        ("points-same-path", _base("points", c, o) + ["--plot", f"{o}/p.npy"], "--plot"),
        ("color-transfer-same-path", _base("color-transfer", c, o) + ["--plot", f"{o}/ct.png"], "--plot"),
        ("warp-plot-missing-folder", _base("warp", c, o) + ["--plot", f"{o}/nodir/cmp.png"], "nodir"),
        ("points-plot-missing-folder", _base("points", c, o) + ["--plot", f"{o}/nodir/cmp.png"], "nodir"),
        ("color-transfer-plot-missing-folder", _base("color-transfer", c, o) + ["--plot", f"{o}/nodir/c.png"],
         "nodir"),
        ("warp-plot-extension", _base("warp", c, o) + ["--plot", f"{o}/cmp.xyz"], "cmp.xyz"),
        ("points-plot-extension", _base("points", c, o) + ["--plot", f"{o}/cmp.xyz"], "cmp.xyz"),
        ("warp-output-extension", _replace(_base("warp", c, o), "-o", f"{o}/c.xyz"), "c.xyz"),
        ("points-output-extension", _replace(_base("points", c, o), "-o", f"{o}/c.xyz"), "c.xyz"),
        ("color-transfer-output-extension", _replace(_base("color-transfer", c, o), "-o", f"{o}/c.xyz"), "c.xyz"),
        ("color-transfer-cube-extension", _base("color-transfer", c, o) + ["--cube", f"{o}/l.txt"], "l.txt"),
        ("apply-lut-output-extension", _replace(_base("apply-lut", c, o), "-o", f"{o}/c.xyz"), "c.xyz"),
        ("points-output-missing-folder", _replace(_base("points", c, o), "-o", f"{o}/nodir/p.npy"), "nodir"),
        ("warp-output-missing-folder", _replace(_base("warp", c, o), "-o", f"{o}/nodir/w.npy"), "nodir"),
        ("apply-lut-output-missing-folder", _replace(_base("apply-lut", c, o), "-o", f"{o}/nodir/a.png"), "nodir"),
        ("points-output-is-folder", _replace(_base("points", c, o), "-o", f"{o}/dir.npy"), "dir.npy"),
        ("demo-out-is-file", _replace(_base("demo", c, o), "--out", f"{o}/old.png"), "old.png"),
        ("demo-exists", _replace(_base("demo", c, o), "--out", f"{o}/done"), "maps.png"),
        # numbers
        ("points-huge-n", _replace(_base("points", c, o), "--n", str(10 ** 12)), "--n"),
        ("points-bluenoise-huge-n", ["points", "--n", str(10 ** 12), "-o", f"{o}/p.npy"], "--n"),
        ("warp-huge-n", ["warp", "--target", f"{c}/good.png", "--kind", "white", "--n", str(10 ** 12), "-o",
                         f"{o}/w.npy"], "--n"),
        ("points-negative-seed", _base("points", c, o) + ["--seed", "-1"], "--seed"),
        ("warp-negative-seed", _base("warp", c, o) + ["--seed", "-1"], "--seed"),
        ("color-transfer-negative-seed", _base("color-transfer", c, o) + ["--seed", "-1"], "--seed"),
        ("demo-negative-seed", _base("demo", c, o) + ["--seed", "-1"], "--seed"),
        ("color-transfer-strength", _base("color-transfer", c, o) + ["--strength", "2"], "--strength"),
        ("warp-gamma", _base("warp", c, o) + ["--gamma", "0"], "--gamma"),
        ("warp-resolution", _base("warp", c, o) + ["--method", "mesh", "--resolution", "0"], "--resolution"),
    ]
    return cases


_CASE_IDS = [case[0] for case in _cases("C", "O")]


def test_the_corpus_covers_every_command():
    covered = {next(c for c in COMMANDS if case_id.startswith(c)) for case_id in _CASE_IDS}
    assert covered == set(COMMANDS)


@pytest.mark.parametrize("case_id", _CASE_IDS)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(corpus, out, capsys, case_id):
    (out / "dir.npy").mkdir(exist_ok=True)
    (out / "done").mkdir(exist_ok=True)
    (out / "done" / "maps.png").write_bytes(b"an earlier demo's figure")
    argv, culprit = next((a, c) for i, a, c in _cases(corpus, out) if i == case_id)
    before = _snapshot(out)
    corpus_before = _snapshot(corpus)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"iadb-graphics {argv[0]}: error: "), err
    assert culprit in err[0], err
    assert ".tmp" not in err[0] and "partial" not in err[0] and "pip install" not in err[0]
    assert _snapshot(out) == before
    assert _snapshot(corpus) == corpus_before


@pytest.mark.parametrize("command", ["points", "warp", "color-transfer", "apply-lut"])
def test_the_valid_invocations_succeed_with_a_summary_line(corpus, tmp_path, capsys, command):
    argv = _base(command, corpus, tmp_path)
    if command == "apply-lut":
        (tmp_path / "id.cube").write_text("LUT_3D_SIZE 2\n" + "".join(
            f"{r} {g} {b}\n" for b in range(2) for g in range(2) for r in range(2)))
        argv[2] = str(tmp_path / "id.cube")
    assert main(argv) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("wrote ") and " s" in err[-1], err
    assert os.path.isfile(argv[argv.index("-o") + 1])
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".")]  # no staging file left
    # the same call again refuses to overwrite, and --force replaces
    assert main(argv) == 2
    assert "--force" in capsys.readouterr().err
    assert main(argv + ["--force"]) == 0


def test_a_failing_second_output_leaves_the_first_unwritten(corpus, out, capsys, monkeypatch):
    import iadb_graphics.plot.points as plot_points

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(plot_points, "plot_points", broken)
    (out / "p.npy").write_bytes(b"old points")
    before = _snapshot(out)
    argv = _base("points", corpus, out) + ["--plot", f"{out}/fig.png", "--force"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "No space left" in err[0] and "partial" not in err[0], err
    assert _snapshot(out) == before


def test_ctrl_c_while_writing_is_not_swallowed(corpus, out, capsys, monkeypatch):
    """Ctrl-C caught by a writer (as a library may do) still ends with 130 and writes nothing."""
    import iadb_graphics.plot.points as plot_points

    def swallowing(points, path, **kwargs):
        try:
            os.kill(os.getpid(), signal.SIGINT)
        except KeyboardInterrupt:
            pass
        with open(path, "wb") as f:
            f.write(b"figure")

    monkeypatch.setattr(plot_points, "plot_points", swallowing)
    before = _snapshot(out)
    assert main(_base("points", corpus, out) + ["--plot", f"{out}/fig.png"]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert _snapshot(out) == before


def test_demo_bad_seed_leaves_no_folder(corpus, out):
    assert main(_replace(_base("demo", corpus, out), "--out", f"{out}/new/demo") + ["--seed", "-1"]) == 2
    assert not (out / "new").exists()


def test_ctrl_c_in_a_real_process_stops_at_once_and_writes_nothing(tmp_path):
    """SIGINT while blue noise runs (or its kernels compile): the process ends as interrupted
    (killed by SIGINT: status 130 in a shell) within seconds, and writes nothing."""
    script = textwrap.dedent("""
        import sys
        from iadb_graphics.cli import main
        sys.stderr.write("started\\n"); sys.stderr.flush()
        sys.exit(main(sys.argv[1:]))
    """)
    out = tmp_path / "p.npy"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-c", script, "points", "--n", "200000", "--iters", "100000",
                             "-o", str(out)], stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stderr.readline().strip() == "started"
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    try:
        rest = proc.communicate(timeout=30)[1]
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode in (130, -signal.SIGINT), rest
    assert "Traceback" not in rest
    assert os.listdir(tmp_path) == []


def test_commit_restores_every_target_when_a_move_fails(tmp_path, monkeypatch):
    """The last step, moving staged files into place, is all or nothing too."""
    from iadb_graphics.cli import _outputs
    from iadb_graphics.cli._outputs import Outputs

    for name in ("a.npy", "b.npy"):
        (tmp_path / name).write_bytes(b"old " + name.encode())
    before = _snapshot(tmp_path)
    outputs = Outputs(force=True)
    outputs.add("-o", tmp_path / "a.npy", (".npy",))
    outputs.add("--pdf", tmp_path / "b.npy", (".npy",))
    real_replace = os.replace

    def failing_replace(src, dst):
        if os.path.basename(str(src)).startswith(".iadb-partial-") and str(dst).endswith("b.npy"):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(_outputs.os, "replace", failing_replace)
    with pytest.raises(ValueError, match="No space left") as info:
        with outputs.writing():
            for flag in ("-o", "--pdf"):
                with open(outputs.stage(flag), "wb") as f:
                    f.write(b"new")
    assert "partial" not in str(info.value)
    assert _snapshot(tmp_path) == {k: v for k, v in before.items()}  # contents back, no staging or backup file
