"""The media issue's whole story through the API, plus the inputs that hide something in the file."""

from __future__ import annotations

import io
from typing import Any

import av
from PIL import Image

from tests.media.test_videos import make_video


def upload(api, data: bytes, name: str, **fields: str) -> dict[str, Any]:
    response = api.post("/media", files={"file": (name, data, "application/octet-stream")}, data=fields)
    assert response.status_code == 202, response.text
    item: dict[str, Any] = response.json()
    return item


def get_bytes(api, url: str) -> bytes:
    response = api.client.get(url.removeprefix("https://testserver.local"))
    assert response.status_code == 200
    return bytes(response.content)


def test_photos_and_a_mov_make_a_carousel_that_shows_on_the_profile_grid(
    alice, anon, camera_jpeg, heic_photo, split_png
):
    mov = make_video("mov", "libx264", (960, 540), seconds=1, rotation=90)
    uploaded = [
        upload(alice, camera_jpeg, "IMG_0001.JPG", filter="juno"),
        upload(alice, heic_photo, "IMG_0002.HEIC"),
        upload(alice, split_png, "drawing.png"),
        upload(alice, mov, "IMG_0003.MOV"),
    ]
    assert [item["state"] for item in uploaded] == ["ready"] * 4
    items = [{"media_id": item["id"], "alt_text": f"picture {n}"} for n, item in enumerate(uploaded)]

    created = alice.post("/posts", json={"items": items, "caption": "A day out #weekend"})

    assert created.status_code == 201, created.text
    grid = anon.get("/users/alice/posts").json()["items"]
    assert [post["id"] for post in grid] == [created.json()["id"]]
    shown = grid[0]["items"]
    assert [entry["alt_text"] for entry in shown] == ["picture 0", "picture 1", "picture 2", "picture 3"]
    assert shown[0]["media"]["filter"] == "juno"
    assert all(entry["media"]["blurhash"] for entry in shown)
    video = shown[3]["media"]
    assert video["kind"] == "video"
    clip = next(r for r in video["renditions"] if r["name"] == "720")
    with av.open(io.BytesIO(get_bytes(anon, clip["url"])), mode="r") as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert next(container.decode(video=0)).height == clip["height"]


def test_a_jpeg_with_a_zip_or_html_tail_loses_the_tail(alice):
    out = io.BytesIO()
    Image.new("RGB", (300, 300), "orange").save(out, "JPEG")
    polyglot = out.getvalue() + b"PK\x03\x04" + b"\x00" * 26 + b"<html><script>alert(1)</script></html>"

    item = upload(alice, polyglot, "innocent.jpg")

    assert item["state"] == "ready"
    for rendition in item["renditions"]:
        data = get_bytes(alice, rendition["url"])
        assert b"PK\x03\x04" not in data
        assert b"<script" not in data


def test_a_png_named_jpg_is_taken_for_what_it_is(alice, split_png):
    item = upload(alice, split_png, "photo.jpg")
    assert item["state"] == "ready"
    assert item["kind"] == "photo"
