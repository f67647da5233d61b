"""Synthetic raw download rows in the BigQuery table's schema, so that a fresh server has something to show."""

from __future__ import annotations

import gzip
import io
import json
import random
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from pathlib import Path

from pepy.domain.downloads import MIRROR_INSTALLERS
from pepy.domain.model import ProjectName, Version

# (name as uploaded, share of the day's downloads, versions): the giants, with versions whose text order
# is not their PEP 440 order (2.9 / 2.10) and pre-releases.
_HUGE_PROJECTS = [
    ("boto3", 0.15, [f"1.{minor}.{patch}" for minor in range(28, 36) for patch in (0, 3, 9, 10, 21)]),
    ("urllib3", 0.10, ["1.26.9", "1.26.10", "1.26.18", "1.26.20", "2.0.7", "2.2.3", "2.3.0", "2.4.0a1", "2.4.0rc1"]),
    ("requests", 0.09, [f"2.{minor}.0" for minor in range(9, 33)] + ["2.9.1", "2.32.3", "2.33.0b1", "2.33.0rc2"]),
    ("numpy", 0.08, ["1.9.3", "1.10.4", "1.21.6", "1.24.4", "1.26.4", "2.0.0b1", "2.0.0", "2.1.3", "2.2.0rc1"]),
    ("pandas", 0.06, ["1.5.3", "2.0.3", "2.1.4", "2.2.2", "2.2.3", "3.0.0.dev0", "3.0.0rc0"]),
    ("django", 0.04, ["3.2.25", "4.2.9", "4.2.10", "4.2.16", "5.0.9", "5.1.3", "5.2a1", "5.2"]),
    ("flask", 0.03, ["0.12.5", "1.1.4", "2.0.3", "2.2.5", "2.3.3", "3.0.3", "3.1.0", "3.1.0.post1"]),
]
# Uploaded names that PEP 503 normalises: file.project keeps them, the top-level project is normalised.
_UNNORMALISED_PROJECTS = [
    "Foo.Bar", "typing_extensions", "ruamel.yaml", "zope.interface", "Flask-SQLAlchemy", "PyYAML",
    "jaraco.classes", "backports.zoneinfo", "Sphinx_RTD_Theme", "zc.lockfile", "google-cloud-BigQuery",
]  # fmt: skip
_SYLLABLES = ["py", "data", "fast", "json", "http", "lib", "tool", "kit", "async", "cloud", "test", "log", "geo", "ml"]
_TAIL_PROJECTS = 300

_INSTALLERS = [
    (("pip", ["23.3.1", "24.0", "24.2", "25.0.1"]), 70.0),
    (("uv", ["0.4.30", "0.5.11", "0.6.3"]), 9.0),
    (("poetry", ["1.8.3", "2.0.1"]), 4.0),
    (("pdm", ["2.20.1"]), 1.0),
    (("bandersnatch", ["6.5.0"]), 2.0),
    (("devpi", ["6.11.0"]), 0.5),
    (("Artifactory", [None]), 2.0),
    (("z3c.pypimirror", [None]), 0.3),
    (("Browser", [None]), 1.5),
    (("requests", ["2.32.3"]), 1.0),
    (("setuptools", ["69.5.1"]), 0.5),
    ((None, [None]), 3.0),
]
_PYTHONS = [
    *((f"3.{minor}.{patch}", weight) for minor, weight in ((8, 6), (9, 10), (10, 18), (11, 24), (12, 22), (13, 8))
      for patch in (0, 4, 7)),
    (None, 8.0),
    ("abc", 0.3),
    ("3", 0.2),
    ("3.12.1rc1", 0.2),
    ("2.7.18", 0.5),
]  # fmt: skip
_SYSTEMS = [
    (("Linux", "6.1.0"), 70.0),
    (("Windows", "10"), 12.0),
    (("Darwin", "23.4.0"), 9.0),
    (("FreeBSD", "14.0-RELEASE"), 0.5),
    (None, 8.5),
]
_COUNTRIES = [
    ("US", 40.0), ("CN", 8.0), ("DE", 6.0), ("IE", 5.0), ("GB", 4.0), ("IN", 4.0), ("FR", 3.0), ("JP", 3.0),
    ("SG", 3.0), ("NL", 2.0), ("BR", 2.0), ("CA", 2.0), ("KR", 1.5), ("AU", 1.5), ("SE", 1.0), ("PL", 1.0),
    ("ZA", 0.5), ("NG", 0.3), (None, 2.0),
]  # fmt: skip
_CI = [(True, 25.0), (False, 5.0), (None, 70.0)]
_ROWS_PER_DAY = 50_000


def write_demo_rows(out_dir: Path, days: list[date], seed: int = 0, scale: float = 1.0) -> list[Path]:
    """Write one gzipped NDJSON file of synthetic raw rows per day into out_dir; returns the files written.

    About 50,000 rows a day at scale 1.0, the same for the same seed: a few giant projects with many
    versions, a Zipf tail of about 300 projects, and the installers, Pythons (junk and NULL included),
    systems, countries and CI flags the real table has.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    projects = _projects(random.Random(f"pepy-demo-projects:{seed}"), max(10, round(_TAIL_PROJECTS * scale)))
    paths = []
    for day in days:
        path = out_dir / f"file_downloads-{day.isoformat()}.ndjson.gz"
        rng = random.Random(f"pepy-demo:{seed}:{day.isoformat()}")
        # Weekends are quieter, as on PyPI.
        rows = round(_ROWS_PER_DAY * scale * (0.7 if day.weekday() >= 5 else 1.0) * rng.uniform(0.9, 1.1))
        # mtime=0 keeps the bytes the same from run to run.
        with (
            open(path, "wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=3, mtime=0) as compressed,
            io.TextIOWrapper(compressed, encoding="utf-8") as out,
        ):
            out.writelines(json.dumps(row, separators=(",", ":")) + "\n" for row in _rows(rng, day, rows, projects))
        paths.append(path)
    return paths


def _projects(rng: random.Random, tail: int) -> list[tuple[str, str, float, list[str]]]:
    projects = [(name, name, share, sorted(versions, key=Version)) for name, share, versions in _HUGE_PROJECTS]
    names: list[str] = []
    while len(names) < tail - len(_UNNORMALISED_PROJECTS):
        name = "".join(rng.sample(_SYLLABLES, rng.randint(2, 3))) + rng.choice(["", "", "-utils", "_ext", "2"])
        # The syllables run out of combinations at large scales.
        names.append(name if name not in names else f"{name}{len(names)}")
    # Mid-table, so each gets enough rows to show its forms.
    for rank, name in enumerate(_UNNORMALISED_PROJECTS):
        names.insert(5 + 2 * rank, name)
    tail_share = 1.0 - sum(share for _, share, _ in _HUGE_PROJECTS)
    zipf = [1.0 / (rank + 2) ** 1.1 for rank in range(len(names))]
    zipf_total = sum(zipf)
    for name, weight in zip(names, zipf, strict=True):
        major = rng.randint(0, 3)
        versions = [
            f"{major}.{minor}.{patch}" for minor in range(rng.randint(1, 4)) for patch in range(rng.randint(1, 3))
        ]
        if rng.random() < 0.2:
            versions.append(f"{major + 1}.0.0rc1")
        projects.append((name, ProjectName(name).value, tail_share * weight / zipf_total, versions))
    return projects


def _rows(rng: random.Random, day: date, count: int, projects: list[tuple[str, str, float, list[str]]]):
    def pick(table):
        return rng.choices([value for value, _ in table], cum_weights=list(accumulate(w for _, w in table)), k=count)

    project_picks = rng.choices(projects, cum_weights=list(accumulate(p[2] for p in projects)), k=count)
    installers, pythons, systems = pick(_INSTALLERS), pick(_PYTHONS), pick(_SYSTEMS)
    countries, cis = pick(_COUNTRIES), pick(_CI)
    midnight = datetime.combine(day, time())
    offsets = sorted(int(rng.random() * 86_400_000_000) for _ in range(count))
    for i in range(count):
        name, normalised, _, versions = project_picks[i]
        # Newer releases (sorted last) are downloaded more.
        version = versions[min(int(len(versions) * rng.random() ** 0.5), len(versions) - 1)]
        wheel = rng.random() < 0.85
        digest = rng.getrandbits(16)
        filename = f"{normalised.replace('-', '_')}-{version}" + ("-py3-none-any.whl" if wheel else ".tar.gz")
        (installer, installer_versions), python, system = installers[i], pythons[i], systems[i]
        browser_or_mirror = installer == "Browser" or installer in MIRROR_INSTALLERS
        yield {
            "timestamp": f"{midnight + timedelta(microseconds=offsets[i]):%Y-%m-%d %H:%M:%S.%f} UTC",
            "country_code": countries[i],
            "url": f"/packages/{digest >> 8:02x}/{digest & 255:02x}/{filename}",
            # A few rows carry the project as uploaded, which the importer must normalise.
            "project": name if rng.random() < 0.05 else normalised,
            "file": {
                "filename": filename,
                "project": name,
                "version": version,
                "type": "bdist_wheel" if wheel else "sdist",
            },
            "details": {
                "installer": None
                if installer is None
                else {"name": installer, "version": rng.choice(installer_versions)},
                "python": None if browser_or_mirror else python,
                "implementation": None
                if python is None or browser_or_mirror
                else {"name": "CPython", "version": python},
                "system": None if system is None or browser_or_mirror else {"name": system[0], "release": system[1]},
                "cpu": None if browser_or_mirror else "x86_64",
                "ci": cis[i],
            },
            "tls_protocol": "TLSv1.3",
            "tls_cipher": "TLS_AES_128_GCM_SHA256",
        }
