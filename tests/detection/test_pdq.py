"""PDQ hashing, the multi-index hash table and the CSV list format, without the app."""

from __future__ import annotations

import numpy as np
import pytest

from viewfinder.core.errors import ApiError
from viewfinder.detection import pdq
from viewfinder.detection.pdq_eval import _image, _jpeg, draw, transform


def flipped(words: np.ndarray, bits: list[int]) -> np.ndarray:
    out = words.copy()
    for bit in bits:
        out[bit // 64] ^= np.uint64(1) << np.uint64(bit % 64)
    return out


@pytest.fixture(scope="module")
def listed() -> np.ndarray:
    rng = np.random.default_rng(1)
    return rng.integers(0, np.iinfo(np.uint64).max, size=(20_000, 4), dtype=np.uint64, endpoint=True)


def test_the_index_finds_a_hash_within_31_bits_however_the_flips_are_spread(listed):
    index = pdq.HashIndex(listed)
    rng = np.random.default_rng(2)
    target = listed[4321]
    # Spread evenly (1 or 2 bits in every 16-bit chunk) is the pigeonhole's worst case.
    spread = [chunk * 16 + offset for chunk in range(16) for offset in (0, 7)][:31]
    assert index.nearest(flipped(target, spread)) == (4321, 31)
    for distance in (0, 1, 15, 30, 31):
        bits = [int(b) for b in rng.choice(256, distance, replace=False)]
        assert index.nearest(flipped(target, bits)) == (4321, distance)


def test_the_index_finds_nothing_32_bits_away_or_further(listed):
    index = pdq.HashIndex(listed)
    target = listed[99]
    spread = [chunk * 16 + offset for chunk in range(16) for offset in (0, 7)]  # 32 bits
    assert index.nearest(flipped(target, spread)) is None
    assert index.nearest(flipped(target, list(range(0, 256, 5)))) is None  # 52 bits
    # A smaller distance limit is honoured too.
    assert index.nearest(flipped(target, [1, 2, 3, 4, 5]), max_distance=4) is None
    assert index.nearest(flipped(target, [1, 2, 3, 4]), max_distance=4) == (99, 4)


def test_an_empty_index_matches_nothing():
    index = pdq.HashIndex(np.zeros((0, 4), dtype=np.uint64))
    assert len(index) == 0
    assert index.nearest(np.zeros(4, dtype=np.uint64)) is None


def test_hex_words_and_distances_agree():
    a = "f" * 64
    b = "0" * 63 + "7"
    assert pdq.hamming(a, b) == 253
    assert int(pdq.distances(pdq.words_of([a]), pdq.words_of([b])[0])[0]) == 253
    assert pdq.hamming("8" + "0" * 63, "0" * 64) == 1  # the top bit is bit 255


def test_hex_is_in_the_reference_order_so_imported_lists_match():
    # pdqhash's bit vector starts with bit 255; ThreatExchange writes words 15..0, high bit first
    # (checked against the reference's bridge-1-original.jpg: distance 8 at 512 px).
    first = np.zeros(256, dtype=np.uint8)
    first[0] = 1
    assert pdq._bits_to_hex(first) == "8" + "0" * 63
    last = np.zeros(256, dtype=np.uint8)
    last[255] = 1
    assert pdq._bits_to_hex(last) == "0" * 63 + "1"


def test_a_photo_and_its_transformed_copies_hash_close_and_a_stranger_far():
    original = _jpeg(_image(draw(3)))
    listed = pdq.photo_hash(original, max_pixels=10**8)
    assert listed.quality >= pdq.MIN_QUALITY
    assert len(listed.hex) == 64
    for name in ("resize_half", "jpeg_q50", "colour_shift", "pipeline_640"):
        copy = pdq.photo_hash(transform(original, name, 1), max_pixels=10**8)
        assert pdq.hamming(copy.hex, listed.hex) <= pdq.MAX_DISTANCE, name
    stranger = pdq.photo_hash(_jpeg(_image(draw(4))), max_pixels=10**8)
    assert pdq.hamming(stranger.hex, listed.hex) > 60


def test_listing_hashes_cover_crops_and_small_turns():
    original = _jpeg(_image(draw(5)))
    variants = pdq.words_of([h.hex for h in pdq.listing_hashes(original, max_pixels=10**8)])
    assert 20 <= len(variants) <= 34
    for name in ("crop_5pct", "rotate_up_to_3deg"):
        copy = pdq.photo_hash(transform(original, name, 2), max_pixels=10**8)
        assert int(pdq.distances(variants, copy.words).min()) <= pdq.MAX_DISTANCE, name


def test_pdq_done_in_numpy_is_pdqhash_bit_for_bit_on_the_picture_itself():
    # variant_hashes relies on it: PDQ's filter, 64 x 64 decimation, DCT, median and quality.
    noise = np.random.default_rng(3).integers(0, 256, (333, 411, 3), dtype=np.uint8)
    for rgb in (draw(5), draw(6, 480, 600), draw(7, 200, 150), noise):
        filtered = pdq._filtered_luma(rgb)
        height, width = filtered.shape
        rows = ((np.arange(64) + 0.5) * height / 64).astype(int)
        columns = ((np.arange(64) + 0.5) * width / 64).astype(int)
        (ours,) = pdq._hashes_of_samples(filtered[rows][:, columns][None])
        assert ours == pdq.hash_pixels(rgb)


def test_query_hashes_of_a_cropped_or_turned_copy_match_the_original_s_one_hash():
    # An imported list holds one hash per image: the upload's own hash misses these copies, one of
    # its query variants (padded back out, turned back) finds them.
    original = _jpeg(_image(draw(5)))
    listed = pdq.photo_hash(original, max_pixels=10**8)
    for name, seed in (("crop_5pct", 2), ("rotate_up_to_3deg", 4)):
        copy = transform(original, name, seed)
        queries = pdq.query_hashes(copy, max_pixels=10**8)
        assert queries[0] == pdq.photo_hash(copy, max_pixels=10**8)  # its own hash first
        assert 25 <= len(queries) <= 32
        assert pdq.hamming(queries[0].hex, listed.hex) > pdq.MAX_DISTANCE, name
        usable = [h for h in queries if h.quality >= pdq.MIN_QUALITY]
        assert min(pdq.hamming(h.hex, listed.hex) for h in usable) <= pdq.MAX_DISTANCE, name
    stranger = pdq.query_hashes(_jpeg(_image(draw(4))), max_pixels=10**8)
    assert min(pdq.hamming(h.hex, listed.hex) for h in stranger) > 60


def test_nearest_any_finds_the_closest_pair_of_many_queries(listed):
    index = pdq.HashIndex(listed)
    rng = np.random.default_rng(4)
    strangers = rng.integers(0, np.iinfo(np.uint64).max, size=(30, 4), dtype=np.uint64, endpoint=True)
    assert index.nearest_any(strangers) is None
    queries = strangers.copy()
    queries[7] = flipped(listed[10], list(range(0, 120, 4)))  # 30 bits
    queries[21] = flipped(listed[20], list(range(0, 240, 10)))  # 24 bits: the closest
    assert index.nearest_any(queries) == (21, 20, 24)
    assert index.nearest_any(queries, max_distance=23) is None
    assert index.nearest_any(queries[:8]) == (7, 10, 30)
    assert index.nearest_any(np.zeros((0, 4), dtype=np.uint64)) is None
    with pytest.raises(ValueError, match="31"):
        index.nearest_any(queries, max_distance=32)


def test_a_csv_list_is_read_with_or_without_header_and_labels():
    text = "hash,quality,label\n" + f"{'A' * 64},90,spam wave\n\n{'0' * 63 + '1'}, 40 \n"
    rows = pdq.parse_hash_csv(text)
    assert rows == [pdq.ListedRow("a" * 64, 90, "spam wave"), pdq.ListedRow("0" * 63 + "1", 40, "")]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (f"{'a' * 64},90\nnot-a-hash,90\n", "Line 2"),
        (f"{'a' * 63},90\n", "Line 1"),
        (f"{'a' * 64},101\n", "Line 1"),
        (f"{'a' * 64},ninety\n", "Line 1"),
        (f"{'a' * 64}\n", "Line 1"),
        (f"{'a' * 64},90,label,extra\n", "Line 1"),
        (f"hash,quality\n{'a' * 64},90,{'x' * 201}\n", "Line 2"),
    ],
)
def test_a_bad_line_refuses_the_list_naming_the_line(text, line):
    with pytest.raises(ApiError) as refused:
        pdq.parse_hash_csv(text)
    assert refused.value.status_code == 422
    assert refused.value.code == "bad_hash_list"
    assert refused.value.message.startswith(line)


def test_an_empty_list_is_refused():
    with pytest.raises(ApiError):
        pdq.parse_hash_csv("hash,quality,label\n\n")
