"""Fast fuzz subset run in CI: mutated seeds of every format give a result or a NeurofilesError."""

from __future__ import annotations

import neurofiles
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..conftest import SAMPLES
from .harness import Seed, check_one, collect_seeds
from .mutations import MUTATIONS, mutate

EXAMPLES_PER_FORMAT = 400


@pytest.fixture(scope="module")
def seeds(testdata, tmp_path_factory):
    found = collect_seeds(testdata)
    assert found, "no seed files were recognised by any reader"
    # Parquet has no shipped sample: its seed is written by our own writer
    parquet = tmp_path_factory.mktemp("seeds") / "events.parquet"
    neurofiles.save(parquet, neurofiles.load(SAMPLES / "dvs128_small.aedat"))
    found.setdefault("parquet", []).append(Seed("parquet", parquet.name, parquet.read_bytes()))
    return found


def test_every_builtin_reader_has_seeds(seeds):
    from neurofiles._framework.discovery import get_registry

    detectable = {
        name for name, (spec, plugin) in get_registry().readers.items() if plugin.builtin and not spec.explicit_only
    }
    assert detectable <= set(seeds), f"formats without fuzz seeds: {detectable - set(seeds)}"


@settings(max_examples=EXAMPLES_PER_FORMAT * 5, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(data=st.data())
def test_mutated_inputs_give_result_or_typed_error(seeds, data):
    fmt = data.draw(st.sampled_from(sorted(seeds)), label="format")
    seed = data.draw(st.sampled_from(seeds[fmt]), label="seed")
    mutation = data.draw(st.sampled_from(sorted(MUTATIONS)), label="mutation")
    rng_seed = data.draw(st.integers(0, 2**32 - 1), label="rng")
    mutated = mutate(seed.data, mutation, rng_seed)
    check_one(mutated, seed.name, fmt)
    check_one(mutated, seed.name, None)
