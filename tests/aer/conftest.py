"""Fixtures for the AER tests: the pinned real samples and a temp-file helper."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

SHA256 = {
    "alex_walking_again.aedat": "2f2c84318860a224c06d59201f862871cc92bcf23369634a7d5a19c4ab98e1d6",
    "rotated_cam255_right_clamp_test1.aedat": "1a795a5c4f6b080fae480cc676accc2bc3cc99b156058745825d051888b31928",
    "IMU_translBoxes.aedat": "d471ef4bb2c317d8fcd0dd7b5d0919b32896726d014d7c441a2ea0a60be8ff9e",
    "sound_mono_32ch_ONOFF_addr2b_ts02.aedat": "3c22d3b23bb4b4849f962530e209f8daee1bcca0f60818e3943632b5e2ce814a",
    "enun_stereo_64ch_ONOFF_addr4b_ts1.aedat": "2bc22cdc79c4908d277c9a982c803eaccb53fd0b8ed932a39120a71b8243bb3f",
    "sample_aedat_header.aedat": "91481480838a901503239605f4a57164b69407b8b469d11c5e62b5c91d243203",
    "sample.aedat4": "b42f119af2548d4328e6c0f249e369a4b755d82eeb6ddceb14441492d979444c",
    "davis.aedat4": "140ed9a82548ec3c3e66baf5948adb8c0f2e22fac6d22344685b0dc26a2584f0",
}


@pytest.fixture(scope="session")
def aer_dir(testdata: Path) -> Path:
    """The real AER samples folder, with every pinned file checked against its sha256."""
    folder = testdata / "aer"
    for name, digest in SHA256.items():
        actual = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        assert actual == digest, f"{name}: sha256 {actual} differs from SOURCES.md"
    return folder
