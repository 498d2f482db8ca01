"""Network discovery of the tuner, only when asked (``--discover``): SiliconDust's UDP discovery
on port 65001 (the packets libhdhomerun sends and reads: big-endian type and length, tags,
a little-endian CRC-32) and UPnP's SSDP ``M-SEARCH`` on 1900, both answered with this server's
address, for players that look for tuners on the network instead of being given a URL; and
the control channel on TCP 65001, read-only: what the box is (``/sys/model``, ``/sys/hwmodel``,
``/sys/version``, ``/lineup/location``) and that its tuners stream over HTTP (a set is refused
with that said), so libhdhomerun's own tools can ask."""

from __future__ import annotations

import logging
import socket
import struct
import threading
import zlib

from webtv.app.tuner import FIRMWARE, MODEL, TUNERS, VERSION, uuid_of

log = logging.getLogger("webtv.tuner")
DISCOVER_PORT = 65001
SSDP_ADDRESS, SSDP_PORT = "239.255.255.250", 1900
DEVICE_TYPE_TUNER = 1
TAG_DEVICE_TYPE, TAG_DEVICE_ID, TAG_TUNER_COUNT = 0x01, 0x02, 0x10
TAG_LINEUP_URL, TAG_BASE_URL, TAG_DEVICE_AUTH = 0x27, 0x2A, 0x2B
DISCOVER_REQUEST, DISCOVER_REPLY = 0x0002, 0x0003
GETSET_REQUEST, GETSET_REPLY = 0x0004, 0x0005
TAG_GETSET_NAME, TAG_GETSET_VALUE, TAG_ERROR = 0x03, 0x04, 0x05


def _tlv(tag: int, value: bytes) -> bytes:
    length = len(value)
    size = bytes([length]) if length < 128 else bytes([(length & 0x7F) | 0x80, length >> 7])
    return bytes([tag]) + size + value


def _frame(kind: int, payload: bytes) -> bytes:
    packet = struct.pack(">HH", kind, len(payload)) + payload
    return packet + struct.pack("<I", zlib.crc32(packet))


def parse_packet(data: bytes) -> tuple[int, dict[int, bytes]] | None:
    """A SiliconDust packet's type and tags; None when it is not one (or its CRC is wrong)."""
    if len(data) < 8:
        return None
    kind, length = struct.unpack(">HH", data[:4])
    if len(data) < 8 + length or struct.unpack("<I", data[4 + length:8 + length])[0] != \
            zlib.crc32(data[:4 + length]):
        return None
    tags, at, end = {}, 4, 4 + length
    while at + 2 <= end:
        tag, size = data[at], data[at + 1]
        at += 2
        if size & 0x80:
            size = (size & 0x7F) | (data[at] << 7)
            at += 1
        tags[tag] = data[at:at + size]
        at += size
    return kind, tags


def discover_reply(device: str, base: str) -> bytes:
    payload = (_tlv(TAG_DEVICE_TYPE, struct.pack(">I", DEVICE_TYPE_TUNER))
               + _tlv(TAG_DEVICE_ID, struct.pack(">I", int(device, 16)))
               + _tlv(TAG_TUNER_COUNT, bytes([TUNERS]))
               + _tlv(TAG_DEVICE_AUTH, device.lower().encode())
               + _tlv(TAG_BASE_URL, base.encode())
               + _tlv(TAG_LINEUP_URL, f"{base}/lineup.json".encode()))
    return _frame(DISCOVER_REPLY, payload)


class Discovery:
    """Answers SiliconDust's UDP discovery and SSDP searches with this server's address, for
    players that look for tuners on the network. ``base_for``: the base URL to announce to
    a peer (the address it reaches us by)."""

    def __init__(self, host: str, port: int, device: str, title: str,
                 discover_port: int = DISCOVER_PORT, ssdp_port: int = SSDP_PORT) -> None:
        self.host, self.port, self.device, self.title = host, port, device, title
        self.discover_port, self.ssdp_port = discover_port, ssdp_port
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []

    def base_for(self, peer: str) -> str:
        address = self.host
        if address in ("0.0.0.0", "", "::"):  # the address of ours the peer's packets reach
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                try:
                    probe.connect((peer, 9))
                    address = probe.getsockname()[0]
                except OSError:
                    address = "127.0.0.1"
        return f"http://{address}:{self.port}"

    def start(self) -> None:
        # on a LAN address, searches come as broadcasts, which only a socket bound to every
        # address receives; on loopback they cannot come from anywhere else
        local = self.host.startswith("127.") or self.host == "localhost"
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        udp.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        udp.bind((self.host if local else "", self.discover_port))
        control = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        control.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        control.bind((self.host if local else "", self.discover_port))
        control.listen(8)
        ssdp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        ssdp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ssdp.bind(("", self.ssdp_port))
        try:  # the multicast group where searches arrive (none on a host with no route)
            group = socket.inet_aton(SSDP_ADDRESS) + socket.inet_aton(
                "0.0.0.0" if self.host in ("0.0.0.0", "") else self.host)
            ssdp.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, group)
        except OSError as exc:
            log.info("SSDP: no multicast (%s); answering searches sent to this host", exc)
        self._sockets = [udp, ssdp, control]
        for sock, answer in ((udp, self._answer_discover), (ssdp, self._answer_search)):
            sock.settimeout(0.5)
            threading.Thread(target=self._serve, args=(sock, answer), daemon=True,
                             name="tuner-discovery").start()
        control.settimeout(0.5)
        threading.Thread(target=self._accept, args=(control,), daemon=True,
                         name="tuner-control").start()
        log.info("tuner discovery on UDP %d and SSDP %d", self.discover_port, self.ssdp_port)

    def close(self) -> None:
        self._stop.set()
        for sock in self._sockets:
            sock.close()

    def _serve(self, sock: socket.socket, answer) -> None:
        while not self._stop.is_set():
            try:
                data, peer = sock.recvfrom(2048)
            except TimeoutError:
                continue
            except OSError:
                return
            reply = answer(data, peer[0])
            if reply:
                try:
                    sock.sendto(reply, peer)
                except OSError as exc:
                    log.debug("discovery reply to %s: %s", peer, exc)

    def _answer_discover(self, data: bytes, peer: str) -> bytes | None:
        parsed = parse_packet(data)
        if parsed is None or parsed[0] != DISCOVER_REQUEST:
            return None
        tags = parsed[1]
        wanted_type = tags.get(TAG_DEVICE_TYPE)
        if wanted_type and struct.unpack(">I", wanted_type[:4])[0] not in (
                DEVICE_TYPE_TUNER, 0xFFFFFFFF):
            return None
        wanted_id = tags.get(TAG_DEVICE_ID)
        if wanted_id and struct.unpack(">I", wanted_id[:4])[0] not in (
                int(self.device, 16), 0xFFFFFFFF):
            return None
        return discover_reply(self.device, self.base_for(peer))

    def _answer_search(self, data: bytes, peer: str) -> bytes | None:
        text = data.decode("utf-8", "replace")
        if not text.startswith("M-SEARCH"):
            return None
        headers = {line.split(":", 1)[0].strip().upper(): line.split(":", 1)[1].strip()
                   for line in text.split("\r\n")[1:] if ":" in line}
        target = headers.get("ST", "")
        kinds = ("ssdp:all", "upnp:rootdevice", "urn:schemas-upnp-org:device:MediaServer:1",
                 f"uuid:{uuid_of(self.device)}")
        if target not in kinds:
            return None
        answered = "upnp:rootdevice" if target == "ssdp:all" else target
        return ("HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\n"
                f"LOCATION: {self.base_for(peer)}/device.xml\r\n"
                "SERVER: Linux/1.0 UPnP/1.0 AI-WebTV/1.0\r\n"
                f"ST: {answered}\r\nUSN: uuid:{uuid_of(self.device)}::{answered}\r\n\r\n"
                ).encode()

    # -- the control channel (TCP) ----------------------------------------------------------
    def variables(self, peer: str = "127.0.0.1") -> dict[str, str]:
        """What a get can read: the box, and that every tuner streams over HTTP."""
        base = self.base_for(peer)
        values = {"/sys/model": FIRMWARE, "/sys/hwmodel": MODEL, "/sys/version": VERSION,
                  "/sys/features": "channelmap: us-cable", "/lineup/location": "us:00000",
                  "/sys/copyright": "AI WebTV tuner emulation", "/sys/debug": "",
                  "/sys/baseurl": base}
        for tuner in range(TUNERS):
            values |= {f"/tuner{tuner}/status": "ch=none lock=none ss=0 snq=0 seq=0 bps=0 "
                       "pps=0", f"/tuner{tuner}/channel": "none",
                       f"/tuner{tuner}/streaminfo": "none", f"/tuner{tuner}/target": "none"}
        return values

    def getset(self, data: bytes, peer: str = "127.0.0.1") -> bytes | None:
        """A reply to one GETSET request (None: not one)."""
        parsed = parse_packet(data)
        if parsed is None or parsed[0] != GETSET_REQUEST or TAG_GETSET_NAME not in parsed[1]:
            return None
        name = parsed[1][TAG_GETSET_NAME].rstrip(b"\0").decode("utf-8", "replace")
        payload = _tlv(TAG_GETSET_NAME, name.encode() + b"\0")
        known = self.variables(peer)
        value = known.get(name)
        if TAG_GETSET_VALUE in parsed[1]:
            error = f"ERROR: this tuner streams over HTTP only: {known['/sys/baseurl']}/lineup.json"
        elif value is None:
            error = "ERROR: unknown getset variable"
        else:
            return _frame(GETSET_REPLY, payload + _tlv(TAG_GETSET_VALUE, value.encode() + b"\0"))
        return _frame(GETSET_REPLY, payload + _tlv(TAG_ERROR, error.encode() + b"\0"))

    def _accept(self, listener: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._control, args=(conn,), daemon=True).start()

    def _control(self, conn: socket.socket) -> None:
        """One client's requests, each a whole packet (header, payload, CRC), answered in
        turn until it hangs up."""
        conn.settimeout(30)
        peer = conn.getpeername()[0]
        with conn:
            try:
                while not self._stop.is_set():
                    head = _read_exactly(conn, 4)
                    if head is None:
                        return
                    rest = _read_exactly(conn, struct.unpack(">H", head[2:4])[0] + 4)
                    if rest is None:
                        return
                    reply = self.getset(head + rest, peer)
                    if reply is None:
                        return  # not a request of this protocol: hang up
                    conn.sendall(reply)
            except OSError:
                return


def _read_exactly(conn: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data
