"""The example distribution's backend (tests/example_plugin, installed for real), used by the unchanged DataManager."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import require_example_plugin

SCRIPT = r"""
import json, sys, warnings
import neurofiles
from neurofiles import DataManager, StorageWarning

datapath = sys.argv[1]
out = {"backends": [b.name for b in neurofiles.backends()]}
info = {b.name: b for b in neurofiles.backends()}["jsondir"]
out["distribution"] = info.distribution
dm = DataManager("ext", datapath, backend="jsondir")
for i in range(3):
    with dm.session(f"run{i}") as s:
        s["spikes"] = [i, i + 10]
        s["a/b key"] = i
        try:
            s["../../escape"] = 1
        except neurofiles.InvalidNameError:
            out["refused"] = True
s = dm.locking_session("shared")
for _ in range(5):
    with s.lock():
        s["n"] = s.get("n", 0) + 1
s.close()
again = DataManager("ext", datapath)  # backend read from the manifest
out["reopened_backend"] = again.backend_name
out["merged"] = sorted(again.get_merged("spikes"))
out["keys"] = again.keys()
out["count"] = again.itemcount()
out["n"] = again.get("n")
out["items"] = len(list(again.iteritems()))
out["parts"] = again.map_sessions(lambda v: v.itemcount(), npartitions=2)
open(again.basepath + "/stray.txt", "w").write("foreign")
with warnings.catch_warnings(record=True) as rec:
    warnings.simplefilter("always")
    again.keys()
out["warned"] = [str(w.message) for w in rec if issubclass(w.category, StorageWarning)]
print(json.dumps(out))
"""


def test_jsondir_backend_through_an_entry_point(tmp_path: Path) -> None:
    require_example_plugin()
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "data")], capture_output=True, text=True, timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert {"sqlite", "dbm", "shelve", "jsondir"} <= set(out["backends"])
    assert out["distribution"] == "neurofiles-example"
    assert out["reopened_backend"] == "jsondir"
    assert out["merged"] == [0, 1, 2, 10, 11, 12]
    assert out["keys"] == ["a/b key", "n", "spikes"] and out["refused"]
    assert out["n"] == {"shared": 5}
    assert out["count"] == out["items"] == sum(out["parts"])
    assert any("stray.txt" in w for w in out["warned"])
    folders = sorted(p.name for p in (tmp_path / "data" / "ext.data").iterdir())
    assert "run0.jsondir" in folders and "_store.json" in folders
    assert not (tmp_path / "data" / "escape").exists() and not (tmp_path / "escape").exists()
