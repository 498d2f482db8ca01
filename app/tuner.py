"""The channels as a network tuner: HDHomeRun emulation, so Plex, Jellyfin, Emby and Channels
add them as a tuner with the guide attached, and an MPEG-TS stream per channel for them and
for every IPTV player.

HTTP (always, on the page's host and port): ``/discover.json``, ``/lineup.json``,
``/lineup_status.json``, ``/lineup.post``, ``/device.xml`` and ``/auto/vN`` (channel N's
stream), as SiliconDust's HTTP API gives them. Network discovery, only when asked, is in
discovery.py.

A channel's MPEG-TS is its HLS stream remuxed by FFmpeg (no encode): one FFmpeg per viewer,
at most TUNERS at once, the way a real tuner has a number of tuners.
"""

from __future__ import annotations

import hashlib
import logging
import os
import select
import subprocess
import threading
import time
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape

from webtv.core.media import ffmpeg_exe

log = logging.getLogger("webtv.tuner")
TUNERS = 4  # viewers streamed at once (each is one FFmpeg copying packets)
STALL_S = 30.0  # seconds without a packet before a stream's FFmpeg is started afresh
MODEL, FIRMWARE, VERSION = "HDTC-2US", "hdhomeruntc_atsc", "20231214"
_CHECK = (0xA, 0x5, 0xF, 0x6, 0x7, 0xC, 0x1, 0xB, 0x9, 0x2, 0x8, 0xD, 0x4, 0x3, 0xE, 0x0)


# -- identity ------------------------------------------------------------------------------
def device_id(seed: str) -> str:
    """A device id that SiliconDust's check digit accepts (libhdhomerun refuses others),
    the same for the same data dir: its first seven hex digits from ``seed``, the last one
    the check."""
    head = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:4], "big") & 0xFFFFFFF0
    return f"{head | _check(head):08X}"


def valid_device_id(value: int) -> bool:
    return _check(value) == 0


def _check(value: int) -> int:
    """libhdhomerun's check over the eight hex digits: every other one through a table, all
    XORed (a valid id comes to 0; an id with its last digit 0 comes to that digit)."""
    check = 0
    for i, shift in enumerate((28, 24, 20, 16, 12, 8, 4, 0)):
        nibble = (value >> shift) & 0xF
        check ^= _CHECK[nibble] if i % 2 == 0 else nibble
    return check


def discover(base: str, device: str, title: str) -> dict:
    """``/discover.json``: what the device is and where its lineup is."""
    return {"FriendlyName": title, "Manufacturer": "Silicondust",
            "ManufacturerURL": "https://github.com/", "ModelNumber": MODEL,
            "FirmwareName": FIRMWARE, "FirmwareVersion": VERSION, "DeviceID": device,
            "DeviceAuth": device.lower(), "BaseURL": base, "LineupURL": f"{base}/lineup.json",
            "TunerCount": TUNERS}


def lineup(numbered: list[tuple[int, str, str]], base: str) -> list[dict]:
    """``/lineup.json``: (number, name, channel) for each channel."""
    return [{"GuideNumber": str(number), "GuideName": name, "VideoCodec": "H264",
             "AudioCodec": "AAC", "HD": 1, "URL": f"{base}/auto/v{number}"}
            for number, name, _ in numbered]


LINEUP_STATUS = {"ScanInProgress": 0, "ScanPossible": 1, "Source": "Cable",
                 "SourceList": ["Cable"]}


def device_xml(base: str, device: str, title: str) -> bytes:
    """``/device.xml``: the UPnP device description SSDP points at."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<root xmlns="urn:schemas-upnp-org:device-1-0">\n'
        "  <specVersion><major>1</major><minor>0</minor></specVersion>\n"
        f"  <URLBase>{escape(base)}</URLBase>\n"
        "  <device>\n"
        "    <deviceType>urn:schemas-upnp-org:device:MediaServer:1</deviceType>\n"
        f"    <friendlyName>{escape(title)}</friendlyName>\n"
        "    <manufacturer>Silicondust</manufacturer>\n"
        f"    <modelName>{MODEL}</modelName>\n    <modelNumber>{MODEL}</modelNumber>\n"
        f"    <serialNumber>{device}</serialNumber>\n"
        f"    <UDN>uuid:{uuid_of(device)}</UDN>\n"
        "  </device>\n</root>\n").encode()


def uuid_of(device: str) -> str:
    digest = hashlib.sha256(device.encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


# -- MPEG-TS -------------------------------------------------------------------------------
class Tuners:
    """At most TUNERS streams at once, like the tuners of a real box; the FFmpeg of each is
    ended when its viewer leaves, its picture stops, or the server closes."""

    def __init__(self, count: int = TUNERS) -> None:
        self.count = count
        self._free = threading.BoundedSemaphore(count)
        self._lock = threading.Lock()
        self.busy: dict[int, str] = {}  # tuner -> channel it streams
        self.closed = threading.Event()
        self._procs: set[subprocess.Popen] = set()

    def take(self, channel: str) -> int | None:
        if self.closed.is_set() or not self._free.acquire(blocking=False):
            return None
        with self._lock:
            tuner = next(i for i in range(self.count) if i not in self.busy)
            self.busy[tuner] = channel
        return tuner

    def give_back(self, tuner: int) -> None:
        with self._lock:
            self.busy.pop(tuner, None)
        self._free.release()

    def close(self) -> None:
        """The server is closing: every stream ends now (no FFmpeg outlives it)."""
        self.closed.set()
        with self._lock:
            procs = list(self._procs)
        for proc in procs:
            proc.kill()

    def stream(self, hls_dir: Path, out: BinaryIO, wait_s: float = 20.0) -> None:
        """Copy a channel's HLS stream to ``out`` as MPEG-TS until the viewer leaves (a
        write fails) or the server closes. A playout that starts again (a new playlist) is
        followed; a picture that stops for STALL_S starts a fresh FFmpeg."""
        playlist = hls_dir / "live.m3u8"
        waited = 0.0
        while not self.closed.is_set():
            if not playlist.exists():
                if waited >= wait_s:
                    return
                self.closed.wait(0.5)
                waited += 0.5
                continue
            waited = 0.0
            if not self._copy(playlist, out):
                return  # the viewer left
            self.closed.wait(0.5)

    def _copy(self, playlist: Path, out: BinaryIO) -> bool:
        """One FFmpeg's run; False once the viewer has gone."""
        proc = subprocess.Popen(
            [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error",
             "-live_start_index", "-2", "-i", str(playlist), "-map", "0:v", "-map", "0:a",
             "-c", "copy", "-f", "mpegts", "-mpegts_flags", "+resend_headers", "pipe:1"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, process_group=0)
        with self._lock:
            self._procs.add(proc)
        quiet_since = time.monotonic()
        try:
            while not self.closed.is_set():
                ready, _, _ = select.select([proc.stdout], [], [], 1.0)
                if not ready:
                    if time.monotonic() - quiet_since > STALL_S:
                        return True  # the picture stopped: a fresh FFmpeg
                    continue
                chunk = os.read(proc.stdout.fileno(), 64 * 1024)  # unbuffered: as select saw
                if not chunk:
                    return True  # the playlist ended (a playout stopped): the next one
                quiet_since = time.monotonic()
                out.write(chunk)
                out.flush()
            return True
        except (BrokenPipeError, ConnectionResetError, OSError):
            return False
        finally:
            proc.kill()
            proc.wait()
            with self._lock:
                self._procs.discard(proc)
