"""Write the AEDAT 2.0 DAVIS conformance vector (APS frame, IMU, external events) and its JSON.

Built from the jAER address layout only (``spec/formats/aedat.md``), no neurofiles code:
a DAVIS128 (128 x 128) recording with 3 DVS events, one 7-word IMU sample, one external
event, one complete APS frame (reset reads then signal reads) and the start of a second,
incomplete frame; and what time windows of it hold. Run ``python spec/vectors/aedat-davis/generate.py`` to rewrite it.
"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
W = H = 128


def dvs(x: int, y: int, on: bool) -> int:
    return (y << 22) | ((W - 1 - x) << 12) | (int(on) << 11)


def aps(x: int, y: int, readout: int, adc: int) -> int:
    return 0x80000000 | (y << 22) | ((W - 1 - x) << 12) | (readout << 10) | adc


def imu(code: int, value: int) -> int:
    return 0x80000C00 | (code << 28) | ((value & 0xFFFF) << 12)


def main() -> None:
    lines = ["!AER-DAT2.0", " Timestamps tick is 1 us", " AEChip: eu.seebetter.ini.chips.davis.DAVIS128",
             '                <entry key="ImuAccelScale" value="ImuAccelScaleG4"/>',
             '                <entry key="ImuGyroScale" value="GyroFullScaleDegPerSec500"/>']
    head = "".join(f"#{line}\r\n" for line in lines).encode("ascii")
    rec: list[tuple[int, int]] = [(dvs(5, 7, True), 100), (dvs(127, 0, False), 101), (dvs(0, 127, True), 102)]
    raw_imu = [8192, -4096, 2048, 3400, 655, -1310, 131]  # ax ay az temp gx gy gz (register order)
    rec += [(imu(code, v), 200) for code, v in enumerate(raw_imu)]
    rec.append((0x400, 250))  # external input event (bit 10, DVS word)
    ys, xs = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
    image = ((xs * 3 + ys * 5) % 400).astype(np.uint16)
    reset = 600 + (xs + ys) % 50
    order = [(x, y) for y in range(H - 1, -1, -1) for x in range(W - 1, -1, -1)]  # first (W-1, H-1), last (0, 0)
    t = 1000
    for x, y in order:
        rec.append((aps(x, y, 0, int(reset[y, x])), t))
        t += 1
    t += 5000
    for x, y in order:
        rec.append((aps(x, y, 1, int(reset[y, x] - image[y, x])), t))
        t += 1
    end_of_frame = t - 1
    for x, y in order[:10]:  # a second frame that never completes
        rec.append((aps(x, y, 0, 700), t))
        t += 1
    rec.append((dvs(1, 1, False), t))
    body = b"".join(struct.pack(">Ii", a, ts) for a, ts in rec)
    (HERE / "davis128_aps_imu.aedat").write_bytes(head + body)
    first_reset, first_signal = 1000, 1000 + H * W + 5000
    expected = {
        "file": "davis128_aps_imu.aedat",
        "layout": "davis128",
        "records": len(rec),
        "dvs": [[100, 5, 7, True], [101, 127, 0, False], [102, 0, 127, True], [t, 1, 1, False]],
        "imu_units": "g, deg/s, degC",
        "imu": {"timestamp": 200, "accelerometer_x": 8192 / 8192, "accelerometer_y": -4096 / 8192,
                "accelerometer_z": 2048 / 8192, "temperature": 3400 / 340 + 35, "gyroscope_x": 655 / 65.5,
                "gyroscope_y": -1310 / 65.5, "gyroscope_z": 131 / 65.5},
        "triggers": [[250, 3]],
        "frames": [{"frame_start": first_reset, "frame_end": end_of_frame, "exposure_start": first_reset,
                    "exposure_end": first_signal, "shape": [H, W], "dtype": "uint16",
                    "sha256": hashlib.sha256(image.tobytes()).hexdigest(), "pixel_5_7": int(image[7, 5])}],
        "incomplete_frames": 1,
        # time windows [t_start_us, t_stop_us) restrict every stream; a frame is in a window when its
        # timestamp (start of exposure, the first pixel's reset read) is, whatever its readout end
        "windows": [
            {"t_start_us": 150, "t_stop_us": 300, "dvs": 0, "imu": 1, "triggers": 1, "frames": 0},
            {"t_start_us": 1000, "t_stop_us": 1001, "dvs": 0, "imu": 0, "triggers": 0, "frames": 1},
            {"t_start_us": 0, "t_stop_us": 1000, "dvs": 3, "imu": 1, "triggers": 1, "frames": 0},
            {"t_start_us": 1001, "t_stop_us": t + 1, "dvs": 1, "imu": 0, "triggers": 0, "frames": 0},
            {"t_start_us": 200, "t_stop_us": 200, "dvs": 0, "imu": 0, "triggers": 0, "frames": 0},
        ],
    }
    (HERE / "davis128_aps_imu.json").write_text(json.dumps(expected, indent=1) + "\n")


if __name__ == "__main__":
    main()
