"""The guide as XMLTV and the channel list as M3U, as media servers and IPTV players read them:
the XMLTV DTD's element order, channel ids that ``tv_validate_file`` accepts, and the M3U
attributes (tvg-id, tvg-chno, tvg-logo, url-tvg) that Plex, Jellyfin, Emby, Kodi and
TiviMate look for."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from webtv.app.guide import GENERATOR, Channel, Listing, channels, listings
from webtv.state.store import Store


# -- XMLTV ---------------------------------------------------------------------------------
def _xmltv_time(epoch: float) -> str:
    return datetime.fromtimestamp(round(epoch), UTC).strftime("%Y%m%d%H%M%S +0000")


def xmltv(store: Store, channel_title: str, base: str, now: float | None = None) -> bytes:
    """The XMLTV document for every channel (valid against the XMLTV DTD). ``base``: the URL
    the page server answers at (icons and channel pages are absolute links under it)."""
    now = time.time() if now is None else now
    tv = ET.Element("tv", {"date": _xmltv_time(now), "source-info-name": GENERATOR,
                           "generator-info-name": GENERATOR, "source-info-url": f"{base}/"})
    network = channels(store, channel_title)
    for channel in network:
        element = ET.SubElement(tv, "channel", {"id": channel.guide_id})
        for name in (channel.title, str(channel.number), f"{channel.number} {channel.title}"):
            ET.SubElement(element, "display-name").text = name
        ET.SubElement(element, "icon", {"src": f"{base}/guide/logo/{channel.name}.png"})
        page = f"{base}/" + ("" if channel.name == "main" else f"?channel={channel.name}")
        ET.SubElement(element, "url").text = page
    with_icons = {row["show_id"] for row in store.guide.shows_with_takes()}
    for channel in network:
        for item in listings(store, channel, now):
            _programme(tv, channel, item, base, with_icons)
    ET.indent(tv)
    return (b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE tv SYSTEM "xmltv.dtd">\n'
            + ET.tostring(tv, encoding="utf-8") + b"\n")


def _programme(tv: ET.Element, channel: Channel, item: Listing, base: str,
               with_icons: set[int]) -> None:
    """One <programme>, its children in the order the DTD gives."""
    element = ET.SubElement(tv, "programme", {"start": _xmltv_time(item.start),
                                              "stop": _xmltv_time(item.stop),
                                              "channel": channel.guide_id})
    ET.SubElement(element, "title", {"lang": "en"}).text = item.title
    if item.sub_title:
        ET.SubElement(element, "sub-title", {"lang": "en"}).text = item.sub_title
    if item.desc and item.desc.strip():
        ET.SubElement(element, "desc", {"lang": "en"}).text = item.desc.strip()
    for category in item.categories:
        ET.SubElement(element, "category", {"lang": "en"}).text = category
    if item.show_id in with_icons:
        ET.SubElement(element, "icon", {"src": f"{base}/guide/show/{item.show_id}.jpg"})
    if item.episode_no:
        ET.SubElement(element, "episode-num", {"system": "onscreen"}).text = \
            f"Episode {item.episode_no}"
    video = ET.SubElement(element, "video")
    ET.SubElement(video, "aspect").text = "16:9"
    ET.SubElement(video, "quality").text = "HDTV"
    if not item.new:
        ET.SubElement(element, "previously-shown")
    else:
        ET.SubElement(element, "new")


# -- M3U -----------------------------------------------------------------------------------
def m3u(store: Store, channel_title: str, base: str, stream: str = "ts") -> str:
    """The channel list for IPTV players and media servers: each channel's stream (MPEG-TS,
    or HLS with ``stream="hls"``), its guide id, number and logo, and where the guide is."""
    guide = f"{base}/xmltv.xml"
    lines = [f'#EXTM3U url-tvg="{guide}" x-tvg-url="{guide}"']
    for channel in channels(store, channel_title):
        url = (f"{base}/stream/{channel.name}.ts" if stream == "ts" else
               f"{base}/hls/master.m3u8" if channel.name == "main" else
               f"{base}/ch/{channel.name}/master.m3u8")
        name = channel.title.replace(",", " ")
        lines += [f'#EXTINF:-1 tvg-id="{channel.guide_id}" tvg-name="{name}" '
                  f'tvg-chno="{channel.number}" channel-number="{channel.number}" '
                  f'tvg-logo="{base}/guide/logo/{channel.name}.png" '
                  f'group-title="{GENERATOR}",{name}', url]
    return "\n".join(lines) + "\n"
