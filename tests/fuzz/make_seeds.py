#!/usr/bin/env python3
"""Write the committed seed corpus for the fuzz harnesses (small, synthetic,
deterministic). Each reader seed starts with one selector byte (format and
options, see fuzz_reader.c). Run: python3 tests/fuzz/make_seeds.py"""
import io
import math
import os
import struct
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
READER = os.path.join(HERE, "corpus", "reader")
ANALYZER = os.path.join(HERE, "corpus", "analyzer")


def wav_bytes(channels=3, frames=64, rate=100):
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", int(4096 * math.sin(i * 0.3 + c))) for i in range(frames) for c in range(channels)))
    return buf.getvalue()


def cwa_bytes(blocks=2):
    """A minimal AX3 file: 1024-byte header + packed 120-sample blocks with valid checksums."""
    hdr = bytearray(b"\xff" * 1024)
    hdr[0:2] = b"MD"
    struct.pack_into("<H", hdr, 2, 1020)
    hdr[4] = 0x00
    struct.pack_into("<HI", hdr, 5, 1234, 7)
    hdr[36] = 0x4A  # 100 Hz, +-8 g
    out = bytes(hdr)
    t = ((20 << 26) | (1 << 22) | (2 << 17) | (3 << 12) | (4 << 6) | 5)
    for b in range(blocks):
        blk = bytearray(512)
        blk[0:2] = b"AX"
        struct.pack_into("<HHIII", blk, 2, 508, 0x8000, 7, b, t + b)
        struct.pack_into("<HHBBBBhH", blk, 18, 0, 300, 0, 200, 0x4A, 0x30, 0, 120)
        for i in range(120):
            x, y, z = 0, 0, 256
            v = (z & 0x3FF) << 20 | (y & 0x3FF) << 10 | (x & 0x3FF)
            struct.pack_into("<I", blk, 30 + 4 * i, v)
        s = sum(struct.unpack_from("<255H", blk, 0)) & 0xFFFF
        struct.pack_into("<H", blk, 510, (-s) & 0xFFFF)
        out += bytes(blk)
    return out


def main():
    os.makedirs(READER, exist_ok=True)
    os.makedirs(ANALYZER, exist_ok=True)
    seeds = {
        "wav16": b"\x00" + wav_bytes(),
        "wav4ch": b"\x00" + wav_bytes(channels=4),
        "csv_time": b"\x02" + b"t,x,y,z\n" + b"".join(f"{i/100:.2f},0.0,0.0,1.0\n".encode() for i in range(40)),
        "csv_semicolon": b"\x0a" + b"acc_x;acc_y;acc_z\n" + b"".join(f"0,{i};0,1;1,0\n".encode() for i in range(30)),
        "csv_iso": b"\x02" + b"timestamp,ax,ay,az\n" + b"".join(
            f"2021-06-27T16:52:{20 + i // 100:02d}.{i % 100:02d}0Z,0.1,0.2,9.8\n".encode() for i in range(30)),
        "cwa": b"\x00" + cwa_bytes(),
        "geneactiv_head": b"\x04" + b"Device Identity\r\nDevice Type:GENEActiv\r\nMeasurement Frequency:100 Hz\r\n"
                          b"Calibration Data\r\nx gain:25875\r\nx offset:439\r\ny gain:25734\r\ny offset:-662\r\n"
                          b"z gain:25538\r\nz offset:-3056\r\nRecorded Data\r\n",
        "edf_head": b"\x06" + b"0       " + b" " * 248,
    }
    for name, data in seeds.items():
        with open(os.path.join(READER, name), "wb") as f:
            f.write(data)
    for k, rate_sel in enumerate([0x04, 0x0c, 0x03, 0x06]):
        frames = b"".join(struct.pack("<fff", 0.1 * math.sin(i * 0.2), 0.0, 9.8 + math.sin(i * 0.11)) for i in range(300))
        with open(os.path.join(ANALYZER, f"seed{k}"), "wb") as f:
            f.write(bytes([rate_sel, 1, 3, 0]) + frames)


if __name__ == "__main__":
    main()
