import pytest

from pepy.domain.errors import InvalidDownloads, InvalidProjectName
from pepy.domain.model import Downloads, ProjectName, Version, newest_first, sort_versions


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("Django", "django"),
        ("Foo.Bar", "foo-bar"),
        ("foo_bar", "foo-bar"),
        ("FOO-bar", "foo-bar"),
        ("zope.interface", "zope-interface"),
        ("a-_.b", "a-b"),
        ("a__b..c--d", "a-b-c-d"),
        ("x", "x"),
        ("1", "1"),
    ],
)
def test_project_names_are_pep503_normalised(raw, normalised):
    assert ProjectName(raw).value == normalised


def test_normalised_names_are_equal():
    assert ProjectName("Foo.Bar") == ProjectName("foo_bar") == ProjectName("FOO-bar")


def test_names_up_to_512_characters_are_accepted():
    assert len(ProjectName("a" * 512).value) == 512


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("a" * 513, "513 characters"),
        ("naïve", "Invalid project name"),
        ("café", "Invalid project name"),
        ("-foo", "Invalid project name"),
        ("foo-", "Invalid project name"),
        ("foo bar", "Invalid project name"),
        ("foo/bar", "Invalid project name"),
        ("../etc/passwd", "Invalid project name"),
        ("x'; DROP TABLE projects; --", "Invalid project name"),
        ("foo\x00", "Invalid project name"),
        ("١٢٣", "Invalid project name"),
    ],
)
def test_invalid_names_are_refused_with_a_reason(raw, reason):
    with pytest.raises(InvalidProjectName, match=reason):
        ProjectName(raw)


def test_versions_sort_as_pep440_not_as_text():
    assert sort_versions(["2.10", "2.9", "10.0", "1.0"]) == ["1.0", "2.9", "2.10", "10.0"]


def test_pre_post_dev_and_local_versions_sort_as_pep440():
    ordered = ["1.0.dev1", "1.0a1", "1.0b2", "1.0rc1", "1.0", "1.0+local.1", "1.0.post1", "1.1"]
    assert sort_versions(reversed(ordered)) == ordered


def test_junk_versions_sort_after_valid_ones_deterministically_and_never_raise():
    versions = ["not a version", "1.0", "", "zzz", "2.0", "1.0-beta-weird!"]
    assert sort_versions(versions) == ["1.0", "2.0", "", "1.0-beta-weird!", "not a version", "zzz"]
    assert sort_versions(reversed(versions)) == sort_versions(versions)


def test_newest_first_reverses_pep440_order_but_keeps_junk_last():
    assert newest_first(["2.9", "zzz", "1.0rc1", "2.10", "1.0"]) == ["2.10", "2.9", "1.0", "1.0rc1", "zzz"]


def test_versions_compare_and_hash_by_text():
    assert Version("1.0") < Version("1.0.post1")
    assert Version("1.0") != Version("1.0.0")
    assert len({Version("1.0"), Version("1.0"), Version("1.0.0")}) == 2
    assert not Version("junk").is_valid and Version("1.0").is_valid


def test_a_version_that_is_not_text_sorts_with_the_invalid_ones():
    assert not Version(2).is_valid
    assert Version("10.0") < Version(2)


def test_downloads_are_64_bit_not_32():
    assert Downloads(2**32).value == 2**32
    assert Downloads(2**63 - 1).value == 2**63 - 1
    with pytest.raises(InvalidDownloads, match="exceed"):
        Downloads(2**63)


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True, None])
def test_downloads_refuse_negative_and_non_integers(bad):
    with pytest.raises(InvalidDownloads):
        Downloads(bad)
