"""One upload check, with one set of messages, for the API, the portal and bulk."""

import pytest
from django.test import override_settings

from cases.partners.bulk import photo_decode
from cases.records.images import PhotoRejected, photo_count_check, photo_size_check


@override_settings(PHOTO_MAX_BYTES=1_000_000)
def test_the_size_message_names_the_photo_and_the_limit():
    with pytest.raises(PhotoRejected) as refused:
        photo_size_check(size=2_500_000, index=1)
    assert (refused.value.code, refused.value.status, refused.value.index) == (
        "photo_too_large",
        413,
        1,
    )
    assert refused.value.detail == "Photo 2 is 2.5 MB; the limit is 1 MB."


@override_settings(PHOTO_MAX_BYTES=1_000_000)
def test_bulk_refuses_oversized_base64_with_the_same_message_before_decoding():
    with pytest.raises(PhotoRejected) as refused:
        photo_decode(index=0, content_base64="A" * 4_000_000)
    assert refused.value.detail.startswith("Photo 1 is ")
    assert refused.value.detail.endswith("; the limit is 1 MB.")


@override_settings(PHOTOS_PER_REQUEST=2)
def test_too_many_photos_in_one_request():
    photo_count_check(count=2)
    with pytest.raises(PhotoRejected, match="at most 2 photos"):
        photo_count_check(count=3)
